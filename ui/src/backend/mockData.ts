// Realistic, deterministic data for the mock backend: a month of calls from
// several tools, redacted records as the agent shows them, a price table.
import type { AccessEntry, BucketRef, Period, RecentCall, ToolId } from "./types";

export const DAY_MS = 86_400_000;
export const PRICES_AS_OF = "2026-11-15";

/** USD per million tokens: input, output, cache read, cache write. */
export const PRICES: Record<string, [number, number, number, number]> = {
  "claude-sonnet-4-5": [3, 15, 0.3, 3.75],
  "claude-opus-4-1": [15, 75, 1.5, 18.75],
  "claude-haiku-4-5": [1, 5, 0.1, 1.25],
  "gpt-5-codex": [1.25, 10, 0.125, 0],
  "gpt-5": [1.25, 10, 0.125, 0],
  "gemini-2.5-pro": [1.25, 10, 0.31, 0],
  "gemini-2.5-flash": [0.3, 2.5, 0.075, 0],
  "gpt-4.1": [2, 8, 0.5, 0],
  "gpt-4o-mini": [0.15, 0.6, 0.075, 0],
};

interface ToolProfile {
  tool: ToolId;
  via: RecentCall["via"];
  models: [string, number][]; // model, weight
  perDay: number; // calls on a working day
  estimatedShare: number; // share of calls whose counts are estimated
  shape: "agent" | "chat" | "completion";
}

export const PROFILES: ToolProfile[] = [
  { tool: "claude-code", via: "log", models: [["claude-sonnet-4-5", 8], ["claude-opus-4-1", 1], ["claude-haiku-4-5", 2]], perDay: 34, estimatedShare: 0, shape: "agent" },
  { tool: "codex", via: "log", models: [["gpt-5-codex", 5], ["gpt-5", 1]], perDay: 12, estimatedShare: 0, shape: "agent" },
  { tool: "gemini-cli", via: "log", models: [["gemini-2.5-pro", 3], ["gemini-2.5-flash", 2]], perDay: 6, estimatedShare: 0, shape: "agent" },
  { tool: "copilot", via: "telemetry", models: [["gpt-4.1", 1]], perDay: 18, estimatedShare: 0, shape: "completion" },
  { tool: "cursor", via: "log", models: [["claude-sonnet-4-5", 1]], perDay: 9, estimatedShare: 0.35, shape: "chat" },
  { tool: "api-other", via: "proxy", models: [["gpt-4o-mini", 3], ["qwen3-coder", 1]], perDay: 4, estimatedShare: 0.5, shape: "chat" },
];

/** A small seeded generator so the mock looks the same on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, items: [T, number][]): T {
  const sum = items.reduce((a, [, w]) => a + w, 0);
  let x = r() * sum;
  for (const [item, w] of items) {
    x -= w;
    if (x <= 0) return item;
  }
  return items[items.length - 1][0];
}

const between = (r: () => number, lo: number, hi: number) => Math.round(lo + r() * (hi - lo));

/** Local midnight of the day holding `ms`. */
export function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function dayKey(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function addDays(ms: number, days: number): number {
  const d = new Date(ms);
  d.setDate(d.getDate() + days);
  return d.getTime();
}

/** The model name as uploads carry it under `model_names: family`. */
export function modelFamily(model: string): string {
  const parts = model.split("-").filter((p) => !/\d/.test(p));
  return parts.length ? parts.join("-") : model;
}

export function bucketOf(atMs: number, period: Period, tool: ToolId, model: string): BucketRef {
  let start: number;
  if (period === "hour") {
    start = Math.floor(atMs / 3_600_000) * 3_600_000;
  } else {
    start = startOfDay(atMs);
    if (period === "week") {
      const weekday = (new Date(start).getDay() + 6) % 7; // Monday first
      start = addDays(start, -weekday);
    }
  }
  return { start: Math.floor(start / 1000), period, tool, model: modelFamily(model) };
}

const marker = (chars: number) => `«text, ${chars.toLocaleString("en-US")} characters»`;

function redactedRecord(c: RecentCall, r: () => number): string | null {
  const iso = new Date(c.at_ms).toISOString();
  if (c.tool === "claude-code") {
    return JSON.stringify({
      parentUuid: marker(36),
      sessionId: marker(36),
      cwd: marker(between(r, 18, 60)),
      gitBranch: marker(between(r, 4, 24)),
      type: "assistant",
      message: {
        model: c.model,
        role: "assistant",
        content: [{ type: "text", text: marker(between(r, 120, 2400)) }],
        usage: {
          input_tokens: c.input,
          cache_creation_input_tokens: c.cache_write,
          cache_read_input_tokens: c.cache_read,
          output_tokens: c.output,
        },
      },
      timestamp: iso,
    });
  }
  if (c.tool === "codex") {
    const last = {
      input_tokens: c.input + c.cache_read,
      cached_input_tokens: c.cache_read,
      output_tokens: c.output,
      reasoning_output_tokens: c.reasoning,
      total_tokens: c.input + c.cache_read + c.output,
    };
    return JSON.stringify({ timestamp: iso, type: "event_msg", payload: { type: "token_count", info: { last_token_usage: last, model_context_window: 272000 } } });
  }
  if (c.tool === "gemini-cli") {
    return JSON.stringify({
      id: marker(36),
      timestamp: iso,
      type: "gemini",
      content: marker(between(r, 200, 3000)),
      model: c.model,
      tokens: { input: c.input + c.cache_read, output: c.output, cached: c.cache_read, thoughts: c.reasoning, tool: 0, total: c.input + c.cache_read + c.output + c.reasoning },
    });
  }
  // Copilot's telemetry, Cursor's database and proxied calls leave no record to show.
  return null;
}

function tokensFor(shape: ToolProfile["shape"], r: () => number) {
  switch (shape) {
    case "agent":
      return { input: between(r, 3, 900), output: between(r, 150, 3200), cache_read: between(r, 12_000, 140_000), cache_write: between(r, 0, 9_000), reasoning: r() < 0.4 ? between(r, 100, 2_500) : 0 };
    case "chat":
      return { input: between(r, 800, 14_000), output: between(r, 200, 2_200), cache_read: r() < 0.5 ? between(r, 1_000, 20_000) : 0, cache_write: 0, reasoning: 0 };
    default:
      return { input: between(r, 300, 2_400), output: between(r, 10, 160), cache_read: 0, cache_write: 0, reasoning: 0 };
  }
}

/** Calls for the `days` days up to `nowMs`, oldest first. */
export function generateCalls(nowMs: number, days: number, tools: ToolId[], granularity: Period): RecentCall[] {
  const r = rng(20261201);
  const calls: RecentCall[] = [];
  const firstDay = addDays(startOfDay(nowMs), -(days - 1));
  for (let d = 0; d < days; d++) {
    const dayStart = addDays(firstDay, d);
    const weekday = new Date(dayStart).getDay();
    const weekend = weekday === 0 || weekday === 6;
    for (const p of PROFILES) {
      if (!tools.includes(p.tool)) continue;
      const n = weekend ? Math.round(p.perDay * 0.1 * r()) : Math.round(p.perDay * (0.6 + 0.8 * r()));
      for (let i = 0; i < n; i++) {
        // Working hours, 08:30 to 18:30.
        const at = dayStart + 8.5 * 3_600_000 + Math.floor(r() * 10 * 3_600_000);
        if (at > nowMs) continue;
        const model = pick(r, p.models);
        const estimated = r() < p.estimatedShare;
        const t = tokensFor(p.shape, r);
        const call: RecentCall = {
          at_ms: at,
          tool: p.tool,
          model,
          ...t,
          provenance: estimated ? "estimated" : p.via === "log" ? "log" : "reported",
          via: p.via,
          bucket: bucketOf(at, granularity, p.tool, model),
          record: null,
        };
        call.record = redactedRecord(call, r);
        calls.push(call);
      }
    }
  }
  return calls.sort((a, b) => a.at_ms - b.at_ms);
}

export function makeCall(atMs: number, tool: ToolId, model: string, granularity: Period, tokens: Partial<Pick<RecentCall, "input" | "output" | "cache_read" | "cache_write" | "reasoning">>, provenance: RecentCall["provenance"] = "log"): RecentCall {
  const profile = PROFILES.find((p) => p.tool === tool);
  const call: RecentCall = {
    at_ms: atMs,
    tool,
    model,
    input: tokens.input ?? 0,
    output: tokens.output ?? 0,
    cache_read: tokens.cache_read ?? 0,
    cache_write: tokens.cache_write ?? 0,
    reasoning: tokens.reasoning ?? 0,
    provenance,
    via: profile?.via ?? "log",
    bucket: bucketOf(atMs, granularity, tool, model),
    record: null,
  };
  call.record = redactedRecord(call, rng(atMs));
  return call;
}

export function callTotal(c: Pick<RecentCall, "input" | "output" | "cache_read" | "cache_write" | "reasoning">): number {
  return c.input + c.output + c.cache_read + c.cache_write + c.reasoning;
}

export function costOf(c: RecentCall): number | null {
  const p = PRICES[c.model];
  if (!p) return null;
  return (c.input * p[0] + (c.output + c.reasoning) * p[1] + c.cache_read * p[2] + c.cache_write * p[3]) / 1e6;
}

/**
 * Reads of this device's data by the organisation's admins, newest first: all
 * after the first upload (yesterday 17:00), which is when the device enrolled.
 */
export function sampleAccessEntries(nowMs: number): AccessEntry[] {
  return [
    { at_ms: nowMs - 47 * 60_000, who: "people-analytics", what: "report by=team" },
    { at_ms: nowMs - (3 * 60 + 12) * 60_000, who: "finance-chargeback", what: "report by=tool" },
    { at_ms: nowMs - 22 * 3_600_000, who: "people-analytics", what: "report by=model" },
  ];
}
