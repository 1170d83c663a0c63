// A backend held in memory, with the same interface as the agent's. It serves
// `npm run dev`, `?mock`, and the tests (with scenarios and a fixed clock).
import {
  addDays, bucketOf, callTotal, costOf, dayKey, DAY_MS, generateCalls, makeCall, PRICES_AS_OF, PROFILES, sampleAccessEntries,
  startOfDay,
} from "./mockData";
import type {
  About, AccessEntry, AccessView, AgentEvent, Backend, BackendError, Deleted, Period, PolicyKey, Preview, Receipt, RecentCall, Setup, Status,
  ToolId, Totals, UsageView,
} from "./types";
import { PAUSED_UNTIL_RESUMED } from "./types";

export type Scenario = "default" | "no_tools" | "no_consent" | "policy_disabled" | "empty";
const SCENARIOS: Scenario[] = ["default", "no_tools", "no_consent", "policy_disabled", "empty"];

export function parseScenario(s: string | null): Scenario {
  return SCENARIOS.includes(s as Scenario) ? (s as Scenario) : "default";
}

export interface MockOptions {
  scenario?: Scenario;
  /** A fixed clock for tests. */
  now?: number;
}

const SERVER = "https://tokentally.acme.example";
const MANAGED = "/etc/tokentally/policy.json";
const TOOLS: ToolId[] = PROFILES.map((p) => p.tool);
const ORDER: Period[] = ["hour", "day", "week"];

type Keyed = Omit<PolicyKey, "key">;

const managed = (value: unknown): Keyed => ({ value, locked: true, origin: { kind: "managed", name: MANAGED } });
const byDefault = (value: unknown): Keyed => ({ value, locked: false, origin: { kind: "default" } });
const employee = (value: unknown): Keyed => ({ value, locked: false, origin: { kind: "employee" } });

function emptyTotals(): Totals {
  return { input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0, total: 0, calls: 0, estimated_calls: 0, cost_usd: null };
}

function add(t: Totals, c: RecentCall) {
  t.input += c.input;
  t.output += c.output;
  t.cache_read += c.cache_read;
  t.cache_write += c.cache_write;
  t.reasoning += c.reasoning;
  t.total += callTotal(c);
  t.calls += 1;
  if (c.provenance === "estimated") t.estimated_calls += 1;
  const cost = costOf(c);
  if (cost !== null) t.cost_usd = (t.cost_usd ?? 0) + cost;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class MockBackend implements Backend {
  readonly scenario: Scenario;
  private fixedNow: number | undefined;
  calls: RecentCall[];
  receipts: Receipt[] = [];
  private payloads = new Map<number, string>();
  private keys: Record<string, Keyed>;
  private uploadOn: boolean;
  private consentSince: number;
  private pausedUntil: number | null = null;
  private listeners = new Set<(e: AgentEvent) => void>();
  private demoTimer: ReturnType<typeof setTimeout> | undefined;
  /** Command names that fail once, for error states. */
  failNext = new Set<string>();
  /** Every command called, in order, with its arguments. */
  log: { name: string; args: unknown[] }[] = [];
  /**
   * What get_access_log answers. Enrolled (ok) once something was uploaded, as
   * the device enrolls at its first upload; "no_server" answers with no server.
   */
  accessState: AccessView["state"];
  /** The reads the server reports, served in this order (the agent's is newest first). */
  accessEntries: AccessEntry[];
  /** While set, get_access_log fails with it, e.g. `{ code: "unreachable", ... }`. */
  accessFailure: BackendError | null = null;

  constructor(opts: MockOptions = {}) {
    this.scenario = opts.scenario ?? "default";
    this.fixedNow = opts.now;
    const now = this.now();
    const s = this.scenario;
    this.keys = {
      upload: managed(s === "policy_disabled" ? "disabled" : "opt-in"),
      server_url: managed(SERVER),
      otlp_url: byDefault(null),
      sanctioned_tools: managed(TOOLS),
      granularity_floor: managed("day"),
      granularity: byDefault("day"),
      model_names: byDefault("family"),
      retention_days: byDefault(400),
      upload_interval_minutes: byDefault(60),
      proxy_port: byDefault(47310),
      receiver_port: byDefault(47318),
      sources: managed({ copilot: "telemetry", "api-other": "proxy" }),
      timezone: byDefault(null),
      autostart: employee(true),
      contact: managed("Developer Platform team · #ai-tools · platform@acme.example"),
      help_url: managed("https://intranet.acme.example/tokentally"),
    };
    this.uploadOn = s === "default" || s === "empty";
    this.consentSince = addDays(startOfDay(now), -20);
    const withCalls = s !== "no_tools" && s !== "empty";
    this.calls = withCalls ? generateCalls(now, 30, TOOLS, this.granularity()) : [];
    if (s === "default") this.seedReceipts(now);
    this.accessState = !this.keys.server_url.value ? "no_server" : this.receipts.length ? "ok" : "not_enrolled";
    this.accessEntries = this.accessState === "ok" ? sampleAccessEntries(now) : [];
  }

  now(): number {
    return this.fixedNow ?? Date.now();
  }

  setNow(ms: number) {
    this.fixedNow = ms;
  }

  private granularity(): Period {
    return this.keys.granularity.value as Period;
  }

  private policyAllowsUpload(): boolean {
    return this.keys.upload.value === "opt-in";
  }

  private async guard(name: string, ...args: unknown[]) {
    this.log.push({ name, args });
    await Promise.resolve();
    if (this.failNext.delete(name)) {
      const err: BackendError = { code: "unavailable", message: `The agent did not answer ${name}.` };
      throw err;
    }
  }

  emit(e: AgentEvent) {
    for (const l of [...this.listeners]) l(e);
  }

  /** Counts a new call and tells the listeners, as the agent does. */
  countCall(tool: ToolId, model: string, tokens: Partial<Pick<RecentCall, "input" | "output" | "cache_read" | "cache_write" | "reasoning">>, provenance: RecentCall["provenance"] = "log"): RecentCall {
    const call = makeCall(this.now(), tool, model, this.granularity(), tokens, provenance);
    this.calls.push(call);
    this.emit({ event: "call_counted", tool, model, total_tokens: callTotal(call), provenance, via: call.via, at_ms: call.at_ms });
    return call;
  }

  /** For `npm run dev`: a call now and then, so the live update can be seen. */
  startDemoCalls() {
    const next = () => {
      this.demoTimer = setTimeout(() => {
        if (!this.isPaused()) {
          this.countCall("claude-code", "claude-sonnet-4-5", { input: 12, output: 480, cache_read: 52_000, cache_write: 1_200 });
        }
        next();
      }, 15_000 + Math.random() * 15_000);
    };
    next();
  }

  stopDemoCalls() {
    clearTimeout(this.demoTimer);
  }

  private isPaused(): boolean {
    return this.pausedUntil !== null && this.pausedUntil > this.now();
  }

  private bucketsSince(fromMs: number, untilMs: number) {
    const map = new Map<string, Record<string, unknown>>();
    const cutoff = this.consentSince;
    for (const c of this.calls) {
      if (c.at_ms < cutoff) continue;
      const b = bucketOf(c.at_ms, this.granularity(), c.tool, c.model);
      const key = `${b.start}|${b.period}|${b.tool}|${b.model}`;
      let row = map.get(key);
      if (!row) {
        row = { start: b.start, period: b.period, tool: b.tool, model: b.model, revision: 1, input: 0, cache_read: 0, cache_write: 0, output: 0, reasoning: 0, calls_exact: 0, calls_reported: 0, calls_estimated: 0, touched: false };
        map.set(key, row);
      }
      for (const f of ["input", "cache_read", "cache_write", "output", "reasoning"] as const) (row[f] as number) += c[f];
      const kind = c.provenance === "log" ? "calls_exact" : c.provenance === "reported" ? "calls_reported" : "calls_estimated";
      (row[kind] as number) += 1;
      if (c.at_ms >= fromMs && c.at_ms < untilMs) row.touched = true;
    }
    return [...map.values()].filter((r) => r.touched).map(({ touched: _t, ...rest }) => rest);
  }

  private payloadText(buckets: Record<string, unknown>[]): string {
    return JSON.stringify({ schema: "tokentally.usage/1", buckets });
  }

  private seedReceipts(now: number) {
    const yesterday = addDays(startOfDay(now), -1) + 17 * 3_600_000;
    const today = startOfDay(now) + 8 * 3_600_000;
    const first = this.payloadText(this.bucketsSince(yesterday - 20 * DAY_MS, yesterday));
    const second = this.payloadText(this.bucketsSince(yesterday, today));
    this.addReceipt(1, yesterday, first, "acknowledged", 200, "ack-3f9c2e71");
    this.addReceipt(2, today, second, "acknowledged", 200, "ack-3f9c5a08");
  }

  private addReceipt(id: number, at: number, bytes: string, outcome: Receipt["outcome"], http: number | null, ack: string | null) {
    const buckets = (JSON.parse(bytes) as { buckets: unknown[] }).buckets.length;
    const receipt: Receipt = { id, at_ms: at, sink: "server", server: SERVER, sha256: "", buckets, outcome, http_status: http, ack, detail: null, done_ms: at + 412 };
    this.receipts.push(receipt);
    this.payloads.set(id, bytes);
    void sha256Hex(bytes).then((h) => (receipt.sha256 = h));
  }

  private lastUploadMs(): number {
    const done = this.receipts.filter((r) => r.outcome === "acknowledged");
    return done.length ? Math.max(...done.map((r) => r.at_ms)) : this.consentSince;
  }

  async getStatus(): Promise<Status> {
    await this.guard("get_status");
    const now = this.now();
    const todayStart = startOfDay(now);
    const today = { day: dayKey(now), input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0, total: 0, calls: 0, estimated_calls: 0, by_tool: {} as Record<ToolId, number> };
    for (const c of this.calls) {
      if (c.at_ms < todayStart) continue;
      const t = emptyTotals();
      add(t, c);
      for (const f of ["input", "output", "cache_read", "cache_write", "reasoning", "total", "calls", "estimated_calls"] as const) today[f] += t[f];
      today.by_tool[c.tool] = (today.by_tool[c.tool] ?? 0) + t.total;
    }
    const found = this.scenario !== "no_tools";
    const sources = PROFILES.map((p) => {
      const last = [...this.calls].reverse().find((c) => c.tool === p.tool);
      return {
        tool: p.tool,
        sanctioned: true,
        via: p.via === "log" ? ("logs" as const) : p.via,
        found,
        files: found && p.via === "log" ? (p.tool === "cursor" ? 1 : 40 + p.tool.length * 7) : 0,
        last_call_ms: last?.at_ms ?? null,
        problems: found && p.tool === "cursor" ? ["Cursor's database was locked for 3 s; read again"] : [],
      };
    });
    const upload = {
      state: (this.policyAllowsUpload() ? (this.uploadOn ? "on" : "off") : "disabled") as Status["upload"]["state"],
      last_attempt_ms: this.receipts.length ? this.receipts[this.receipts.length - 1].at_ms : null,
      last_sent_buckets: this.receipts.length ? this.receipts[this.receipts.length - 1].buckets : 0,
      next_attempt_ms: this.uploadOn ? Math.ceil((now + 1) / 3_600_000) * 3_600_000 : null,
      error: null,
    };
    const tasks = ["collectors", "proxy", "receiver", "uploader", "watchdog"].map((name) => ({ name, state: { state: "running" }, restarts: 0 }));
    return { tasks, sources, today, paused_until_ms: this.isPaused() ? this.pausedUntil : null, throttled: null, cpu_percent: 0.4, rss_kib: 38_912, upload };
  }

  async getUsage(days: 1 | 7 | 30): Promise<UsageView> {
    await this.guard("get_usage", days);
    const now = this.now();
    const from = addDays(startOfDay(now), -(days - 1));
    const totals = emptyTotals();
    const byTool = new Map<ToolId, Totals>();
    const byModel = new Map<string, Totals>();
    const perDay = new Map<string, Record<ToolId, number>>();
    for (let d = 0; d < days; d++) perDay.set(dayKey(addDays(from, d)), {});
    for (const c of this.calls) {
      if (c.at_ms < from || c.at_ms > now) continue;
      add(totals, c);
      if (!byTool.has(c.tool)) byTool.set(c.tool, emptyTotals());
      add(byTool.get(c.tool)!, c);
      if (!byModel.has(c.model)) byModel.set(c.model, emptyTotals());
      add(byModel.get(c.model)!, c);
      const day = perDay.get(dayKey(c.at_ms));
      if (day) day[c.tool] = (day[c.tool] ?? 0) + callTotal(c);
    }
    return {
      days,
      from_day: dayKey(from),
      to_day: dayKey(now),
      zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      totals,
      by_tool: [...byTool].map(([tool, t]) => ({ tool, ...t })).sort((a, b) => b.total - a.total),
      by_model: [...byModel].map(([model, t]) => ({ model, ...t })).sort((a, b) => b.total - a.total),
      per_day: [...perDay].map(([day, by_tool]) => ({ day, by_tool })),
      prices_as_of: PRICES_AS_OF,
    };
  }

  async getPreview(): Promise<Preview> {
    await this.guard("get_preview");
    if (!this.policyAllowsUpload()) return { state: "disabled", reason: "The policy sets upload: disabled.", payloads: [] };
    if (!this.keys.server_url.value) return { state: "no_server", reason: "No server_url in the policy.", payloads: [] };
    if (!this.uploadOn) return { state: "off", reason: null, payloads: [] };
    const buckets = this.bucketsSince(this.lastUploadMs(), Infinity);
    if (!buckets.length) return { state: "on", reason: null, payloads: [] };
    const bytes = this.payloadText(buckets);
    return { state: "on", reason: null, payloads: [{ url: `${SERVER}/v1/usage`, sha256: await sha256Hex(bytes), buckets: buckets.length, bytes }] };
  }

  async getRecentCalls(): Promise<RecentCall[]> {
    await this.guard("get_recent_calls");
    return this.calls.slice(-50).reverse().map((c) => ({ ...c, bucket: bucketOf(c.at_ms, this.granularity(), c.tool, c.model) }));
  }

  async getUploads(): Promise<Receipt[]> {
    await this.guard("get_uploads");
    return [...this.receipts].reverse();
  }

  async getUploadPayload(id: number): Promise<string> {
    await this.guard("get_upload_payload", id);
    const bytes = this.payloads.get(id);
    if (bytes === undefined) throw { code: "not_found", message: `No upload ${id}.` } satisfies BackendError;
    return bytes;
  }

  async getAbout(): Promise<About> {
    await this.guard("get_about");
    const now = this.now();
    const keys = Object.entries(this.keys).map(([key, k]) => ({ key, ...k }));
    const since_ms: Record<string, number> = {};
    for (const k of keys) since_ms[k.key] = k.origin.kind === "managed" ? Date.UTC(2026, 9, 3, 9, 0) : Date.UTC(2026, 8, 14, 8, 0);
    since_ms.sanctioned_tools = Date.UTC(2026, 10, 20, 14, 30);
    return {
      keys,
      problems: [],
      managed_source: MANAGED,
      since_ms,
      changes: [
        { at_ms: Date.UTC(2026, 9, 3, 9, 0), changes: [
          { key: "upload", from: "disabled", to: this.keys.upload.value, set_by: MANAGED },
          { key: "server_url", from: null, to: SERVER, set_by: MANAGED },
        ] },
        { at_ms: Math.min(Date.UTC(2026, 10, 20, 14, 30), now), changes: [
          { key: "sanctioned_tools", from: TOOLS.filter((t) => t !== "cursor"), to: TOOLS, set_by: MANAGED },
        ] },
      ],
    };
  }

  async getAccessLog(): Promise<AccessView> {
    await this.guard("get_access_log");
    if (this.accessFailure) throw { ...this.accessFailure } satisfies BackendError;
    const server = typeof this.keys.server_url.value === "string" ? this.keys.server_url.value : null;
    if (this.accessState === "no_server" || server === null) return { state: "no_server", server: null, entries: [] };
    if (this.accessState === "not_enrolled") return { state: "not_enrolled", server, entries: [] };
    return { state: "ok", server, entries: this.accessEntries.map((e) => ({ ...e })) };
  }

  async getSetup(): Promise<Setup> {
    await this.guard("get_setup");
    return {
      proxy: [
        "export ANTHROPIC_BASE_URL=http://127.0.0.1:47310/anthropic",
        "export OPENAI_BASE_URL=http://127.0.0.1:47310/openai/v1",
        "export GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:47310/gemini",
      ],
      otel: [
        "export CLAUDE_CODE_ENABLE_TELEMETRY=1",
        "export OTEL_METRICS_EXPORTER=otlp",
        "export OTEL_EXPORTER_OTLP_PROTOCOL=http/json",
        "export OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=http://127.0.0.1:47318/v1/metrics",
      ],
    };
  }

  async setUpload(enabled: boolean, includePast: boolean): Promise<void> {
    await this.guard("set_upload", enabled, includePast);
    if (enabled && !this.policyAllowsUpload()) throw { code: "policy", message: "The policy does not allow uploads." } satisfies BackendError;
    if (enabled && !this.uploadOn) this.consentSince = includePast ? 0 : this.now();
    this.uploadOn = enabled;
  }

  async setGranularity(g: Period): Promise<void> {
    await this.guard("set_granularity", g);
    const floor = this.keys.granularity_floor.value as Period;
    if (ORDER.indexOf(g) < ORDER.indexOf(floor)) throw { code: "policy", message: `Finer than the policy's floor (${floor}).` } satisfies BackendError;
    this.keys.granularity = employee(g);
  }

  async pause(minutes: number | null, untilTomorrow: boolean): Promise<void> {
    await this.guard("pause", minutes, untilTomorrow);
    const now = this.now();
    this.pausedUntil = untilTomorrow ? addDays(startOfDay(now), 1) : minutes !== null ? now + minutes * 60_000 : PAUSED_UNTIL_RESUMED;
    this.emit({ event: "pause_changed", paused_until_ms: this.pausedUntil });
  }

  async resume(): Promise<void> {
    await this.guard("resume");
    this.pausedUntil = null;
    this.emit({ event: "pause_changed", paused_until_ms: null });
  }

  async exportData(format: "json" | "csv"): Promise<string> {
    await this.guard("export_data", format);
    const fields = ["at_ms", "tool", "model", "input", "output", "cache_read", "cache_write", "reasoning", "provenance", "via"] as const;
    if (format === "csv") {
      return [fields.join(","), ...this.calls.map((c) => fields.map((f) => String(c[f])).join(","))].join("\n") + "\n";
    }
    const calls = this.calls.map((c) => Object.fromEntries(fields.map((f) => [f, c[f]])));
    return JSON.stringify({ calls, receipts: this.receipts }, null, 2);
  }

  async deleteData(): Promise<Deleted> {
    await this.guard("delete_data");
    const sent = this.uploadOn ? this.receipts.reduce((n, r) => n + r.buckets, 0) : null;
    const out = { calls: this.calls.length, receipts: this.receipts.length, server_deleted: sent };
    this.calls = [];
    this.receipts = [];
    this.payloads.clear();
    this.uploadOn = false;
    this.pausedUntil = null;
    return out;
  }

  async onEvent(cb: (e: AgentEvent) => void): Promise<() => void> {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  listenerCount(): number {
    return this.listeners.size;
  }
}
