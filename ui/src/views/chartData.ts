// What the per-day chart is fed: one stacked series per tool. Kept apart from
// Chart.js so the numbers can be tested without a canvas.
import type { UsageView } from "../backend/types";
import { toolColour } from "../lib/tools";

export interface DailySeries {
  tool: string;
  label: string;
  data: number[];
  colour: string;
}

export interface DailyChartData {
  days: string[];
  series: DailySeries[];
}

/** Tools ordered by their total over the period, largest at the bottom of each stack. */
export function dailyChartData(usage: Pick<UsageView, "per_day" | "by_tool">, nameOf: (tool: string) => string): DailyChartData {
  const seen = new Set<string>(usage.by_tool.map((t) => t.tool));
  for (const d of usage.per_day) for (const tool of Object.keys(d.by_tool)) seen.add(tool);
  const totals = new Map<string, number>();
  for (const tool of seen) totals.set(tool, usage.per_day.reduce((a, d) => a + (d.by_tool[tool] ?? 0), 0));
  const tools = [...seen].filter((tool) => (totals.get(tool) ?? 0) > 0).sort((a, b) => totals.get(b)! - totals.get(a)!);
  return {
    days: usage.per_day.map((d) => d.day),
    series: tools.map((tool, i) => ({
      tool,
      label: nameOf(tool),
      data: usage.per_day.map((d) => d.by_tool[tool] ?? 0),
      colour: toolColour(tool, i),
    })),
  };
}
