// Reading `paused_until_ms`. The agent sends i64::MAX for "until resumed",
// which a JS number cannot hold exactly, so anything past year 9999 counts.
import { PAUSED_UNTIL_RESUMED } from "../backend/types";

const FAR = 253_402_300_800_000; // 10000-01-01

export function pausedIndefinitely(ms: number | null): boolean {
  return ms !== null && (ms >= FAR || ms >= PAUSED_UNTIL_RESUMED);
}
