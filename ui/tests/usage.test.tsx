import { describe, expect, it } from "vitest";
import { dailyChartData } from "../src/views/chartData";
import { formatCompact, formatNumber, formatPercent } from "../src/lib/format";
import { $, $$, choose, mockBackend, renderApp, text } from "./helpers";

describe("My usage", () => {
  it("shows the last 7 days' totals, calls, estimated share, cost and price date", async () => {
    const backend = mockBackend();
    const expected = await backend.getUsage(7);
    const { root } = await renderApp({ backend });
    expect(text($(root, '[data-testid="stat-total"] .stat-value'))).toBe(formatCompact(expected.totals.total, "en"));
    expect(text($(root, '[data-testid="stat-calls"] .stat-value'))).toBe(formatNumber(expected.totals.calls, "en"));
    const pct = formatPercent(expected.totals.estimated_calls / expected.totals.calls, "en");
    expect(expected.totals.estimated_calls).toBeGreaterThan(0);
    expect(text($(root, '[data-testid="stat-total"]'))).toContain(`${pct} estimated`);
    expect(text($(root, '[data-testid="stat-cost"] .stat-value'))).toMatch(/^\$[\d,]+\.\d\d$/);
    expect(text($(root, '[data-testid="stat-cost"] .stat-note'))).toMatch(/^At list prices as of Nov 15, 2026/);
    expect(text($(root, '[data-testid="stat-cost"]'))).toContain("Some models have no listed price");
  });

  it("lists every tool and model, with the estimated share on the rows that have one", async () => {
    const backend = mockBackend();
    const expected = await backend.getUsage(7);
    const { root } = await renderApp({ backend });
    const toolRows = $$(root, '[data-testid="by-tool"] tbody tr');
    expect(toolRows.map((r) => text(r.querySelector("th")))).toEqual(
      expected.by_tool.map((t) => ({ "claude-code": "Claude Code", codex: "Codex", "gemini-cli": "Gemini CLI", copilot: "GitHub Copilot", cursor: "Cursor", "api-other": "Other API calls" })[t.tool]),
    );
    const cursor = toolRows.find((r) => text(r.querySelector("th")) === "Cursor")!;
    expect(text(cursor)).toMatch(/\d+% estimated/);
    const claude = toolRows.find((r) => text(r.querySelector("th")) === "Claude Code")!;
    expect(text(claude)).not.toContain("estimated");
    const models = $$(root, '[data-testid="by-model"] tbody th').map((x) => text(x));
    expect(models).toEqual(expected.by_model.map((m) => m.model));
    expect(text($(root, '[data-testid="by-model"]'))).toContain("no price"); // qwen3-coder has none
  });

  it("shows the input / output / cache split and the cache-read share", async () => {
    const backend = mockBackend();
    const u = await backend.getUsage(7);
    const { root } = await renderApp({ backend });
    const split = $$(root, '[data-testid="split"] li').map((li) => text(li));
    expect(split).toHaveLength(5);
    expect(split[0]).toContain("Input");
    const cacheRow = $$(root, '[data-testid="split"] li')[2];
    expect(text(cacheRow.querySelector(".split-name"))).toBe("Cache read");
    expect(text(cacheRow.querySelector(".split-value"))).toBe(formatCompact(u.totals.cache_read, "en"));
    const share = u.totals.cache_read / (u.totals.input + u.totals.cache_read + u.totals.cache_write);
    expect(text($(root, '[data-testid="stat-cache"] .stat-value'))).toBe(formatPercent(share, "en"));
  });

  it("switches between today, 7 and 30 days", async () => {
    const { root, backend } = await renderApp();
    const radios = $$(root, 'input[name="usage-period"]') as HTMLInputElement[];
    expect(radios.map((r) => r.closest("label")!.textContent)).toEqual(["Today", "Last 7 days", "Last 30 days"]);
    await choose(radios[2]);
    const month = await backend.getUsage(30);
    expect(text($(root, '[data-testid="stat-calls"] .stat-value'))).toBe(formatNumber(month.totals.calls, "en"));
    expect($$(root, '[data-testid="daily-table"] tbody tr')).toHaveLength(30);
    await choose(radios[0]);
    const today = await backend.getUsage(1);
    expect(text($(root, '[data-testid="stat-calls"] .stat-value'))).toBe(formatNumber(today.totals.calls, "en"));
    expect($(root, '[data-testid="daily-table"]')).toBeNull(); // no per-day chart for a single day
  });

  it("feeds the chart one stacked series per tool whose days add up to the period's total", async () => {
    const u = await mockBackend().getUsage(30);
    const chart = dailyChartData(u, (t) => t.toUpperCase());
    expect(chart.days).toEqual(u.per_day.map((d) => d.day));
    expect(chart.series.map((s) => s.tool).sort()).toEqual(u.by_tool.map((t) => t.tool).sort());
    const sum = chart.series.reduce((a, s) => a + s.data.reduce((x, y) => x + y, 0), 0);
    expect(sum).toBe(u.totals.total);
    for (const s of chart.series) expect(s.data.reduce((x, y) => x + y, 0)).toBe(u.by_tool.find((t) => t.tool === s.tool)!.total);
    // Largest first, so it sits at the bottom of each stack.
    const sums = chart.series.map((s) => s.data.reduce((x, y) => x + y, 0));
    expect([...sums].sort((a, b) => b - a)).toEqual(sums);
  });

  it("says so when no tools are found", async () => {
    const { root } = await renderApp({ scenario: "no_tools" });
    expect(text($(root, '[data-testid="usage-empty"]'))).toBe("No AI tools found on this computer yet. Settings shows how to connect one.");
    expect($(root, '[data-testid="stats"]')).toBeNull();
  });

  it("says so when no call has been counted yet", async () => {
    const { root } = await renderApp({ scenario: "empty" });
    expect(text($(root, '[data-testid="usage-empty"]'))).toContain("No calls counted yet");
  });

  it("keeps the numbers personal: no comparison with others", async () => {
    const { root } = await renderApp();
    expect(text(root)).toContain("They are not compared with anyone else's.");
  });
});
