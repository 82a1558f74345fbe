// Loading service data in a page: the answer, the error, and reload; optionally polled (live runs).
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from './api';

/** What a page reads: data once loaded, the error if it failed, and how to load it again. */
export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (nothing when null), again every `pollMs` when given, and when `path` changes. */
export function useApi<T>(path: string | null, pollMs?: number): Loaded<T> {
  // the answer with the path it answers: a page whose path changed shows no stale data meanwhile
  const [answer, setAnswer] = useState<{ path: string; data: T }>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(path !== null);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  useEffect(() => {
    if (path === null) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const data = await api<T>(path);
        if (stopped) return;
        setAnswer({ path, data });
        setError(undefined);
      } catch (caught) {
        if (!stopped)
          setError(
            caught instanceof ApiError ? caught : new ApiError(String(caught), 0, undefined, undefined),
          );
      } finally {
        if (!stopped) setLoading(false);
        if (!stopped && pollMs) timer = setTimeout(load, pollMs);
      }
    };
    setLoading(true);
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [path, pollMs, generation]);
  return { data: answer?.path === path ? answer.data : undefined, error, loading, reload };
}

/** GETs every path of `paths` at once; data once all answered (in the same order), or the first error. */
export function useApiAll<T>(paths: string[]): { data: T[] | undefined; error: ApiError | undefined } {
  const key = JSON.stringify(paths);
  // the answer or the error with the paths it answers, so a page whose paths changed shows neither
  const [state, setState] = useState<{ key: string; data?: T[]; error?: ApiError }>();
  useEffect(() => {
    let stopped = false;
    Promise.all((JSON.parse(key) as string[]).map((path) => api<T>(path)))
      .then((data) => !stopped && setState({ key, data }))
      .catch((caught: unknown) => !stopped && setState({ key, error: caught as ApiError }));
    return () => {
      stopped = true;
    };
  }, [key]);
  return state?.key === key
    ? { data: state.data, error: state.error }
    : { data: undefined, error: undefined };
}
