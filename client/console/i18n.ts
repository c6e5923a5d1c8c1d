import { useCallback } from 'react';
import { useI18n } from '../common/i18n';
import { en } from './i18n-en';
import { zh } from './i18n-zh';

/**
 * The console's own strings (zh-CN reference, English with the same keys — the compiler checks).
 * The language itself (and its switch) is the shared one from common/i18n.
 */
export type ConsoleKey = keyof typeof zh;

export type CT = (key: ConsoleKey, vars?: Record<string, string | number>) => string;

/** The console translator for the current language (the shared one's `lang`). */
export function useT(): CT {
  const { lang } = useI18n();
  return useCallback(
    (key, vars) => {
      const text = (lang === 'en' ? en : zh)[key] ?? key;
      return vars ? text.replace(/\{(\w+)\}/g, (m, n: string) => String(vars[n] ?? m)) : text;
    },
    [lang],
  );
}
