import { createRoot } from 'react-dom/client';
import { I18nProvider } from '../common/i18n';
import { ConsoleApp } from './app';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <I18nProvider>
    <ConsoleApp />
  </I18nProvider>,
);
