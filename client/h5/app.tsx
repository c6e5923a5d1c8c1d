import { ConfigProvider } from 'antd-mobile';
import enUS from 'antd-mobile/es/locales/en-US';
import zhCN from 'antd-mobile/es/locales/zh-CN';
import { lazy, Suspense, useEffect, useState, useSyncExternalStore } from 'react';
import { currentSession, onSessionChange } from '../common/api';
import { enableSilentReauth } from '../common/auth';
import { useI18n } from '../common/i18n';
import { Loading } from './components/states';
import { UndoBar } from './components/undo-bar';
import { useRoute, type Route } from './router';
import { MailHome } from './screens/mail-home';
import { SignIn } from './screens/sign-in';

// Everything but the inbox loads on demand: the first screen stays small.
const Reader = lazy(() => import('./screens/reader'));
const Compose = lazy(() => import('./screens/compose'));
const Search = lazy(() => import('./screens/search'));
const Me = lazy(() => import('./screens/me'));
const Scheduled = lazy(() => import('./screens/scheduled'));
const ScheduledEdit = lazy(() => import('./screens/scheduled-edit'));
const Rules = lazy(() => import('./screens/rules'));
const RuleEdit = lazy(() => import('./screens/rule-edit'));
const AutoReply = lazy(() => import('./screens/auto-reply'));
const AppPasswords = lazy(() => import('./screens/app-passwords'));

function Screen({ route }: { route: Route }) {
  const [first, second] = route.parts;
  switch (first) {
    case undefined:
      return <MailHome folderKey="inbox" />;
    case 'f':
      return <MailHome folderKey={second ?? 'inbox'} />;
    case 'm':
      return <Reader id={second!} />;
    case 'compose':
      return <Compose query={route.query} />;
    case 'search':
      return <Search />;
    case 'me':
      return <Me />;
    case 'scheduled':
      return second ? <ScheduledEdit id={second} /> : <Scheduled />;
    case 'rules':
      return second ? <RuleEdit id={second === 'new' ? null : second} /> : <Rules />;
    case 'auto-reply':
      return <AutoReply />;
    case 'app-passwords':
      return <AppPasswords />;
    default:
      return <MailHome folderKey="inbox" />;
  }
}

export function App() {
  const { lang } = useI18n();
  const session = useSyncExternalStore(onSessionChange, currentSession);
  const route = useRoute();
  const [ready] = useState(() => {
    enableSilentReauth();
    return true;
  });
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  return (
    <ConfigProvider locale={lang === 'en' ? enUS : zhCN}>
      {!ready || !session ? (
        <SignIn />
      ) : (
        <Suspense fallback={<Loading />}>
          <Screen key={route.path} route={route} />
          <UndoBar />
        </Suspense>
      )}
    </ConfigProvider>
  );
}
