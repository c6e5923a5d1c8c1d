import { unstableSetRender } from 'antd-mobile';
import { createRoot, type Root } from 'react-dom/client';
import { I18nProvider } from '../common/i18n';
import { App } from './app';
import './styles.css';

// antd-mobile's imperative APIs (Toast, Dialog.confirm, ActionSheet.show) render with ReactDOM.render,
// which React 19 no longer has: without this they silently show nothing.
unstableSetRender((node, container) => {
  const host = container as Element & { _orgmailRoot?: Root };
  host._orgmailRoot ??= createRoot(host);
  const root = host._orgmailRoot;
  root.render(node);
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    root.unmount();
  };
});

createRoot(document.getElementById('root')!).render(
  <I18nProvider>
    <App />
  </I18nProvider>,
);
