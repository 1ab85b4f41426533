import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api } from './api';
import { type Reloader, createReloader } from './reloader';

/**
 * Loads `path` (GET) and reloads on demand; keeps the last good data while reloading.
 * Reloads asked for while a read is in flight collapse into one read after it (see `reloader.ts`),
 * so a view that reloads on every live event still shows each answer.
 */
export function useApi<T>(path: string | undefined, opts: { text?: boolean } = {}): { data: T | undefined; error: ApiError | undefined; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(false);
  const pathRef = useRef(path);
  pathRef.current = path;
  const text = opts.text;
  const reloader = useRef<Reloader<string>>(undefined);
  if (!reloader.current) {
    reloader.current = createReloader<string, T>({
      fetch: (p) => api<T>('GET', p, undefined, { text }),
      current: () => pathRef.current,
      onData: (d) => {
        setData(d);
        setError(undefined);
      },
      onError: (e) => setError(e instanceof ApiError ? e : new ApiError(0, 'Error', String(e))),
      onLoading: setLoading,
    });
  }
  const reload = useCallback(() => reloader.current!.reload(path), [path]);
  useEffect(reload, [reload]);
  return { data, error, loading, reload };
}

/** Re-renders every `ms` milliseconds (for running timers). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** `value` once it has stayed the same for `ms` milliseconds (for lookups while the user types). */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const h = setTimeout(() => setV(value), ms);
    return () => clearTimeout(h);
  }, [value, ms]);
  return v;
}
