import { createRoot } from 'react-dom/client';
import { I18nProvider } from '../common/i18n';
import { App } from './app';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <I18nProvider>
    <App />
  </I18nProvider>,
);
