// Data for the views: the backend in context, a version that rises when the
// agent reports a change (by events, debounced), and a hook that loads and
// reloads a resource on that version.
import { createContext } from "preact";
import { useCallback, useContext, useEffect, useRef, useState } from "preact/hooks";
import type { AgentEvent, Backend, BackendError, Status } from "../backend/types";

export const BackendContext = createContext<Backend | null>(null);
export const LiveContext = createContext<{ version: number; refresh: () => void }>({ version: 0, refresh: () => {} });
export const StatusContext = createContext<Status | undefined>(undefined);

export function useBackend(): Backend {
  const b = useContext(BackendContext);
  if (!b) throw new Error("No backend in context");
  return b;
}

export const useStatus = () => useContext(StatusContext);
export const useRefresh = () => useContext(LiveContext).refresh;

/** Events after which the numbers on screen may be out of date. */
export const REFRESHING_EVENTS: AgentEvent["event"][] = [
  "call_counted", "pause_changed", "policy_changed", "source_appeared", "task_failed", "task_recovered", "throttled",
];
export const DEBOUNCE_MS = 200;

/** A version number that rises ~200 ms after the last of a burst of events. */
export function useLiveVersion(backend: Backend): { version: number; refresh: () => void } {
  const [version, setVersion] = useState(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  useEffect(() => {
    let unlisten: (() => void) | undefined;
    let gone = false;
    backend
      .onEvent((e) => {
        if (!REFRESHING_EVENTS.includes(e.event)) return;
        clearTimeout(timer.current);
        timer.current = setTimeout(refresh, DEBOUNCE_MS);
      })
      .then((u) => (gone ? u() : (unlisten = u)))
      .catch(() => {
        // Without events the window still works; numbers refresh on actions.
      });
    return () => {
      gone = true;
      clearTimeout(timer.current);
      unlisten?.();
    };
  }, [backend, refresh]);
  return { version, refresh };
}

export interface Resource<T> {
  data: T | undefined;
  error: BackendError | undefined;
  loading: boolean;
  reload: () => void;
}

export function asBackendError(e: unknown): BackendError {
  if (e && typeof e === "object" && "message" in e) {
    const o = e as { code?: unknown; message: unknown };
    return { code: typeof o.code === "string" ? o.code : "error", message: String(o.message) };
  }
  return { code: "error", message: String(e) };
}

/**
 * Loads `load()` now, again when `deps` or the live version change, and on
 * `reload()`. The last data stays on screen while a reload runs. With
 * `live: false` the live version is ignored: for data that local events can't
 * change and that costs a request to another machine.
 */
export function useResource<T>(load: (b: Backend) => Promise<T>, deps: unknown[] = [], opts: { live?: boolean } = {}): Resource<T> {
  const backend = useBackend();
  const live = useContext(LiveContext).version;
  const version = opts.live === false ? 0 : live;
  const [local, setLocal] = useState(0);
  const [state, setState] = useState<{ data?: T; error?: BackendError; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load(backend).then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (e) => mine === seq.current && setState((s) => ({ data: s.data, error: asBackendError(e), loading: false })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [backend, version, local, ...deps]);
  const reload = useCallback(() => setLocal((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
