import { render } from "preact";
import { App } from "./app/App";
import { selectBackend } from "./backend/select";
import "./styles.css";

selectBackend().then((backend) => render(<App backend={backend} />, document.getElementById("app")!));
