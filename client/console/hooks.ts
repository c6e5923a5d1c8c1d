import { App } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../common/api';
import { useI18n } from '../common/i18n';

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): Promise<void>;
  setData(update: T | ((prev: T | undefined) => T)): void;
}

/** Loads once per `deps` change; `reload()` for refresh buttons and after actions. */
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

/** The server's message for a failure, or a friendly default. */
export function useErrorText(): (err: unknown) => string {
  const { t } = useI18n();
  return useCallback(
    (err: unknown) => {
      if (err instanceof ApiError) {
        if (err.status === 0) return t('errorNetwork');
        if (err.status === 404) return t('errorNotFound');
        return err.message || t('errorGeneric');
      }
      return (err as Error)?.message || t('errorGeneric');
    },
    [t],
  );
}

/** Runs an action with a spinner key, shows the error as a message, resolves to success. */
export function useAction(): {
  busy: string | null;
  run: (key: string, fn: () => Promise<unknown>, ok?: string) => Promise<boolean>;
} {
  const { message } = App.useApp();
  const errorText = useErrorText();
  const [busy, setBusy] = useState<string | null>(null);
  const run = useCallback(
    async (key: string, fn: () => Promise<unknown>, ok?: string) => {
      setBusy(key);
      try {
        await fn();
        if (ok) void message.success(ok);
        return true;
      } catch (err) {
        void message.error(errorText(err));
        return false;
      } finally {
        setBusy(null);
      }
    },
    [message, errorText],
  );
  return { busy, run };
}

export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

/** Hash routes: `#/members`, `#/sync`… (the console is a single page under /console/). */
export function useHashRoute(): string {
  const read = () => window.location.hash.replace(/^#\/?/, '').split('?')[0] || 'dashboard';
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function go(route: string): void {
  window.location.hash = `/${route}`;
}
