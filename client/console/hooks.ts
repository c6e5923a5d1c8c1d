import { App } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { errorText } from '../common/hooks';
import { useI18n } from '../common/i18n';

export { useAsync, useDebounced, type AsyncState } from '../common/hooks';

/** The server's message for a failure, or a friendly default. */
export function useErrorText(): (err: unknown) => string {
  const { t } = useI18n();
  return useCallback((err: unknown) => errorText(err, t), [t]);
}

/** Runs an action with a spinner key, shows the error as a message, resolves to success. */
export function useAction(): {
  busy: string | null;
  run: (key: string, fn: () => Promise<unknown>, ok?: string) => Promise<boolean>;
} {
  const { message } = App.useApp();
  const describe = useErrorText();
  const [busy, setBusy] = useState<string | null>(null);
  const run = useCallback(
    async (key: string, fn: () => Promise<unknown>, ok?: string) => {
      setBusy(key);
      try {
        await fn();
        if (ok) void message.success(ok);
        return true;
      } catch (err) {
        void message.error(describe(err));
        return false;
      } finally {
        setBusy(null);
      }
    },
    [message, describe],
  );
  return { busy, run };
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
