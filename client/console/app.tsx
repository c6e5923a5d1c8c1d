import { App, ConfigProvider, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, Suspense, useEffect, useSyncExternalStore } from 'react';
import { currentSession, onSessionChange } from '../common/api';
import { useI18n } from '../common/i18n';

// The entry is the providers only: the sign-in form or the shell (and each page) load on demand.
const SignIn = lazy(() => import('./sign-in'));
const Shell = lazy(() => import('./shell'));

export function ConsoleApp() {
  const { lang } = useI18n();
  const session = useSyncExternalStore(onSessionChange, currentSession);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  return (
    <ConfigProvider locale={lang === 'en' ? enUS : zhCN} theme={{ token: { borderRadius: 6 } }}>
      <App style={{ height: '100%' }}>
        <Suspense fallback={<Spin style={{ display: 'block', marginTop: 120 }} />}>
          {session ? <Shell /> : <SignIn />}
        </Suspense>
      </App>
    </ConfigProvider>
  );
}
