// Picks the backend: the mock with `?mock` in the URL or in Vite's `mock`
// mode (and for `npm run dev` outside Tauri), the agent otherwise.
import type { Backend } from "./types";

export function wantsMock(search: string, mode: string, inTauri: boolean): boolean {
  if (new URLSearchParams(search).has("mock")) return true;
  if (mode === "mock" || mode === "test") return true;
  return mode === "development" && !inTauri;
}

export async function selectBackend(): Promise<Backend> {
  const inTauri = typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
  if (wantsMock(window.location.search, import.meta.env.MODE, inTauri)) {
    const { MockBackend, parseScenario } = await import("./mock");
    const params = new URLSearchParams(window.location.search);
    const mock = new MockBackend({ scenario: parseScenario(params.get("scenario")) });
    if (!params.has("quiet")) mock.startDemoCalls();
    return mock;
  }
  const { createTauriBackend } = await import("./tauri");
  return createTauriBackend();
}
