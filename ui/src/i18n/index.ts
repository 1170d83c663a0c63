// Locale choice, message lookup and the context the views read them from.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { en, type MessageKey } from "./en";
import { zhCN } from "./zh-CN";

export type Locale = "en" | "zh-CN";
export type { MessageKey };
export type Vars = Record<string, string | number>;

export const LOCALES: { id: Locale; name: string }[] = [
  { id: "en", name: "English" },
  { id: "zh-CN", name: "简体中文" },
];

export const CATALOGUES: Record<Locale, Record<MessageKey, string>> = { en, "zh-CN": zhCN };
export const STORAGE_KEY = "tokentally.locale";

export function localeFor(language: string | undefined): Locale {
  return language?.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

/** The saved choice, else the OS/browser language. */
export function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === "en" || saved === "zh-CN") return saved;
  } catch {
    // Storage can be unavailable; fall back to the language.
  }
  return localeFor(typeof navigator !== "undefined" ? navigator.language : undefined);
}

export function saveLocale(locale: Locale) {
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    // Not saved; the choice still holds for this window.
  }
}

export function translate(locale: Locale, key: MessageKey, vars?: Vars): string {
  const text = CATALOGUES[locale][key] ?? en[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export interface I18n {
  locale: Locale;
  t: (key: MessageKey, vars?: Vars) => string;
  /** A plural message: `base` + ".one" or ".other", with {n} formatted. */
  tn: (base: string, n: number, vars?: Vars) => string;
  setLocale: (l: Locale) => void;
}

export function makeI18n(locale: Locale, setLocale: (l: Locale) => void = () => {}): I18n {
  const rules = new Intl.PluralRules(locale);
  const nf = new Intl.NumberFormat(locale);
  return {
    locale,
    setLocale,
    t: (key, vars) => translate(locale, key, vars),
    tn: (base, n, vars) => {
      const form = rules.select(n) === "one" ? "one" : "other";
      return translate(locale, `${base}.${form}` as MessageKey, { ...vars, n: nf.format(n) });
    },
  };
}

export const I18nContext = createContext<I18n>(makeI18n("en"));
export const useI18n = () => useContext(I18nContext);
