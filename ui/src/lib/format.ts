// Numbers, money, percentages and times, in the reader's language.
import type { Locale } from "../i18n";

const cache = new Map<string, Intl.NumberFormat>();
function nf(locale: Locale, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = locale + JSON.stringify(opts);
  let f = cache.get(key);
  if (!f) cache.set(key, (f = new Intl.NumberFormat(locale, opts)));
  return f;
}

/** 1,234,567 */
export const formatNumber = (n: number, locale: Locale) => nf(locale, { maximumFractionDigits: 0 }).format(n);

/** 9,876 · 12K · 1.2M (en) / 9,876 · 1.2万 · 120万 (zh-CN); exact below ten thousand. */
export function formatCompact(n: number, locale: Locale): string {
  if (Math.abs(n) < 10_000) return formatNumber(n, locale);
  return nf(locale, { notation: "compact", maximumFractionDigits: 1 }).format(n);
}

/** 12% — and "<1%" rather than a misleading 0% for a small non-zero share. */
export function formatPercent(ratio: number, locale: Locale): string {
  if (ratio > 0 && ratio < 0.01) return "<" + nf(locale, { style: "percent" }).format(0.01);
  return nf(locale, { style: "percent", maximumFractionDigits: 0 }).format(ratio);
}

export function formatUsd(n: number, locale: Locale): string {
  const f = nf(locale, { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 2 });
  if (n > 0 && n < 0.01) return "<" + f.format(0.01);
  return f.format(n);
}

export const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : 0);

export function formatDateTime(ms: number, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(ms);
}

/** The time alone if `ms` falls on the same day as `now`, else date and time. */
export function formatWhen(ms: number, now: number, locale: Locale): string {
  const a = new Date(ms);
  const b = new Date(now);
  const sameDay = a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  return sameDay ? new Intl.DateTimeFormat(locale, { timeStyle: "short" }).format(ms) : formatDateTime(ms, locale);
}

/** A YYYY-MM-DD day, read as a calendar day (no time zone shift). */
export function parseDay(day: string): Date {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, (m ?? 1) - 1, d ?? 1);
}

export function formatDay(day: string, locale: Locale, withYear = false): string {
  const opts: Intl.DateTimeFormatOptions = withYear ? { dateStyle: "medium" } : { month: "short", day: "numeric" };
  return new Intl.DateTimeFormat(locale, opts).format(parseDay(day));
}

export function formatRelative(ms: number, now: number, locale: Locale): string {
  const diff = ms - now;
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const abs = Math.abs(diff);
  if (abs < 60_000) return rtf.format(Math.round(diff / 1000), "second");
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), "minute");
  if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), "hour");
  return rtf.format(Math.round(diff / 86_400_000), "day");
}

/** A policy value as a short readable string. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v.join(", ");
  return JSON.stringify(v);
}
