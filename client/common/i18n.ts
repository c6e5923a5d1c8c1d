import { createContext, createElement, useContext, useMemo, useState, type ReactNode } from 'react';
import { en } from './i18n-en';
import { zh } from './i18n-zh';

/**
 * zh-CN by default, English switchable. `zh` is the reference dictionary: `en` must have exactly
 * the same keys (the compiler checks), and `{name}` placeholders are filled by t(key, vars).
 */
export type MessageKey = keyof typeof zh;
export type Dictionary = Record<MessageKey, string>;
export type Lang = 'zh-CN' | 'en';

const DICTS: Record<Lang, Dictionary> = { 'zh-CN': zh, en };
const LANG_KEY = 'orgmail.lang';

export function initialLang(): Lang {
  try {
    const stored = localStorage.getItem(LANG_KEY);
    if (stored === 'en' || stored === 'zh-CN') return stored;
  } catch {
    // ignore
  }
  return 'zh-CN';
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  const dict = DICTS[lang];
  return (key, vars) => {
    const text = dict[key] ?? zh[key] ?? key;
    return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => String(vars[name] ?? m)) : text;
  };
}

interface I18n {
  lang: Lang;
  t: Translate;
  setLang(lang: Lang): void;
}

const I18nContext = createContext<I18n>({ lang: 'zh-CN', t: translator('zh-CN'), setLang: () => undefined });

export function I18nProvider(props: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const value = useMemo<I18n>(
    () => ({
      lang,
      t: translator(lang),
      setLang: (next) => {
        try {
          localStorage.setItem(LANG_KEY, next);
        } catch {
          // ignore
        }
        document.documentElement.lang = next;
        setLangState(next);
      },
    }),
    [lang],
  );
  return createElement(I18nContext.Provider, { value }, props.children);
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}

/** Dates the way a mail list shows them: time today, month-day this year, full date before. */
export function formatListDate(iso: string, lang: Lang, now = new Date()): string {
  const d = new Date(iso);
  const locale = lang === 'en' ? 'en-US' : 'zh-CN';
  if (d.toDateString() === now.toDateString())
    return d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit', hour12: false });
  if (d.getFullYear() === now.getFullYear())
    return d.toLocaleDateString(locale, { month: 'short', day: 'numeric' });
  return d.toLocaleDateString(locale, { year: 'numeric', month: 'numeric', day: 'numeric' });
}

export function formatDateTime(iso: string, lang: Lang): string {
  return new Date(iso).toLocaleString(lang === 'en' ? 'en-US' : 'zh-CN', {
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
