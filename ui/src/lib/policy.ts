// Reading the effective policy's keys out of `About`.
import type { About, Period, PolicyKey } from "../backend/types";

export const PERIODS: Period[] = ["hour", "day", "week"];

export function policyKey(about: About | undefined, key: string): PolicyKey | undefined {
  return about?.keys.find((k) => k.key === key);
}

export function policyValue<T>(about: About | undefined, key: string, fallback: T): T {
  const k = policyKey(about, key);
  return k === undefined || k.value === null || k.value === undefined ? fallback : (k.value as T);
}

export const uploadsAllowed = (about: About | undefined) => policyValue<string>(about, "upload", "disabled") === "opt-in";

export const floorOf = (about: About | undefined): Period => policyValue<Period>(about, "granularity_floor", "day");

/** Finer than the floor: not allowed. */
export const finerThan = (p: Period, floor: Period) => PERIODS.indexOf(p) < PERIODS.indexOf(floor);
