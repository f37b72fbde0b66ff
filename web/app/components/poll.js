// Live data by polling: one request (or one Promise.all) per interval, none while the tab is hidden,
// one at once when it shows again, and never two in flight. See web/README.md for what it costs.
import { useCallback, useEffect, useRef, useState } from "../lib.js";

/**
 * load() returns a promise; intervalMs may be a number, a function of the last data (poll faster while
 * a command is pending), or null (load once). deps restart it (a new station id, new filters).
 */
export function usePoll(load, { intervalMs = null, deps = [] } = {}) {
  const [state, setState] = useState({ data: null, error: null, loading: true, loadedAt: null });
  const loadRef = useRef(load);
  const intervalRef = useRef(intervalMs);
  const dataRef = useRef(null);
  const inFlight = useRef(false);
  const generation = useRef(0);
  loadRef.current = load;
  intervalRef.current = intervalMs;

  const run = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    const mine = generation.current;
    try {
      const data = await loadRef.current();
      if (mine !== generation.current) return;
      dataRef.current = data;
      setState({ data, error: null, loading: false, loadedAt: new Date() });
    } catch (error) {
      if (mine !== generation.current) return;
      setState((previous) => ({ ...previous, error, loading: false }));
    } finally {
      inFlight.current = false;
    }
  }, []);

  useEffect(() => {
    generation.current += 1;
    inFlight.current = false;
    dataRef.current = null;
    setState({ data: null, error: null, loading: true, loadedAt: null });
    let timer = null;
    let stopped = false;
    const delay = () => {
      const interval = intervalRef.current;
      return typeof interval === "function" ? interval(dataRef.current) : interval;
    };
    const tick = async () => {
      if (stopped) return;
      if (!document.hidden) await run();
      const next = delay();
      if (!stopped && next) timer = setTimeout(tick, next);
    };
    const onVisible = () => {
      if (!document.hidden) run();
    };
    tick();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, deps);

  return { ...state, reload: run };
}
