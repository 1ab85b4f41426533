import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api } from './api';

/** Loads `path` (GET) and reloads on demand; keeps the last good data while reloading. */
export function useApi<T>(path: string | undefined, opts: { text?: boolean } = {}): { data: T | undefined; error: ApiError | undefined; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(false);
  const seq = useRef(0);
  const reload = useCallback(() => {
    if (!path) return;
    const n = ++seq.current;
    setLoading(true);
    api<T>('GET', path, undefined, opts)
      .then((d) => {
        if (n !== seq.current) return;
        setData(d);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (n !== seq.current) return;
        setError(e instanceof ApiError ? e : new ApiError(0, 'Error', String(e)));
      })
      .finally(() => {
        if (n === seq.current) setLoading(false);
      });
  }, [path, opts.text]); // eslint-disable-line react-hooks/exhaustive-deps
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
