import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';
import type { Translate } from './i18n';

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): Promise<void>;
  setData(update: T | ((prev: T | undefined) => T)): void;
}

/** Loads once per `deps` change; `reload()` for refresh and retry buttons. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [data, setDataState] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  const run = useCallback(load, deps);
  const reload = useCallback(async () => {
    const mine = ++seq.current;
    setLoading(true);
    setError(undefined);
    try {
      const value = await run();
      if (mine === seq.current) setDataState(value);
    } catch (err) {
      if (mine === seq.current) setError(err);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  }, [run]);
  useEffect(() => {
    void reload();
  }, [reload]);
  const setData = useCallback((update: T | ((prev: T | undefined) => T)) => {
    setDataState((prev) =>
      typeof update === 'function' ? (update as (p: T | undefined) => T)(prev) : update,
    );
  }, []);
  return { data, error, loading, reload, setData };
}

/** A message for the user from any failure (the server's message, or a friendly default). */
export function errorText(err: unknown, t: Translate): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return t('errorNetwork');
    if (err.status === 404) return t('errorNotFound');
    return err.message || t('errorGeneric');
  }
  return (err as Error)?.message || t('errorGeneric');
}

export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}
