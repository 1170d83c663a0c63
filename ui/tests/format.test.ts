import { describe, expect, it } from "vitest";
import { formatCompact, formatNumber, formatPercent, formatUsd, formatValue } from "../src/lib/format";
import { pausedIndefinitely } from "../src/lib/pause";

describe("formatting", () => {
  it("separates thousands", () => {
    expect(formatNumber(1234567, "en")).toBe("1,234,567");
  });

  it("uses compact units above ten thousand only", () => {
    expect(formatCompact(9876, "en")).toBe("9,876");
    expect(formatCompact(1_234_567, "en")).toBe("1.2M");
    expect(formatCompact(1_234_567, "zh-CN")).toBe("123.5万");
  });

  it("never shows a small non-zero share as 0%", () => {
    expect(formatPercent(0.123, "en")).toBe("12%");
    expect(formatPercent(0.001, "en")).toBe("<1%");
    expect(formatPercent(0, "en")).toBe("0%");
  });

  it("shows money with cents", () => {
    expect(formatUsd(12.5, "en")).toBe("$12.50");
    expect(formatUsd(0.001, "en")).toBe("<$0.01");
  });

  it("shows policy values plainly", () => {
    expect(formatValue(["codex", "cursor"])).toBe("codex, cursor");
    expect(formatValue(null)).toBe("—");
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
  });

  it("reads i64::MAX as paused until resumed", () => {
    expect(pausedIndefinitely(9223372036854775807)).toBe(true);
    expect(pausedIndefinitely(Date.now() + 3_600_000)).toBe(false);
    expect(pausedIndefinitely(null)).toBe(false);
  });
});
