// The contract between the self-view and the agent. The Rust commands of the
// Tauri shell return these shapes (snake_case fields); arguments are camelCase.
// Views depend on this interface only, never on Tauri.

export type ToolId = string; // "claude-code", "codex", "gemini-cli", "copilot", "cursor", "api-other", ...

/** Token kinds, their total, and calls: the sums both views and status carry. */
export interface Counts {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  reasoning: number;
  total: number;
  calls: number;
  estimated_calls: number;
}

export interface Totals extends Counts {
  cost_usd: number | null;
}

export interface TaskStatus {
  name: string;
  state: { state: string; detail?: string } | string;
  restarts: number;
}

export interface SourceStatus {
  tool: ToolId;
  sanctioned: boolean;
  via: "logs" | "proxy" | "telemetry";
  found: boolean;
  files: number;
  last_call_ms: number | null;
  problems: string[];
}

export interface Today extends Counts {
  day: string;
  by_tool: Record<ToolId, number>;
}

export interface UploadStatus {
  state: "off" | "on" | "disabled" | "";
  last_attempt_ms: number | null;
  last_sent_buckets: number;
  next_attempt_ms: number | null;
  error: string | null;
}

/** `paused_until_ms` equal to this means "until resumed". */
export const PAUSED_UNTIL_RESUMED = 9223372036854775807;

export interface Status {
  tasks: TaskStatus[];
  sources: SourceStatus[];
  today: Today;
  paused_until_ms: number | null;
  throttled: string | null;
  cpu_percent: number | null;
  rss_kib: number | null;
  upload: UploadStatus;
}

export interface UsageView {
  days: number;
  from_day: string;
  to_day: string;
  zone: string;
  totals: Totals;
  by_tool: (Totals & { tool: ToolId })[];
  by_model: (Totals & { model: string })[];
  per_day: { day: string; by_tool: Record<ToolId, number> }[];
  prices_as_of: string;
}

export interface PreviewPayload {
  url: string;
  sha256: string;
  buckets: number;
  bytes: string;
}

export interface Preview {
  state: "on" | "off" | "disabled" | "no_server";
  reason: string | null;
  payloads: PreviewPayload[];
}

export type Period = "hour" | "day" | "week";

export interface BucketRef {
  start: number; // unix seconds
  period: Period;
  tool: ToolId;
  model: string;
}

export interface RecentCall {
  at_ms: number;
  tool: ToolId;
  model: string;
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  reasoning: number;
  provenance: "log" | "reported" | "estimated";
  via: "log" | "proxy" | "telemetry";
  bucket: BucketRef;
  record: string | null;
}

export interface Receipt {
  id: number;
  at_ms: number;
  sink: "server" | "otlp";
  server: string;
  sha256: string;
  buckets: number;
  outcome: "sending" | "acknowledged" | "refused" | "failed";
  http_status: number | null;
  ack: string | null;
  detail: string | null;
  done_ms: number | null;
}

export interface PolicyKey {
  key: string;
  value: unknown;
  locked: boolean;
  origin: { kind: "default" | "employee" | "managed"; name?: string };
}

export interface PolicyChange {
  at_ms: number;
  changes: { key: string; from: unknown; to: unknown; set_by: string }[];
}

export interface About {
  keys: PolicyKey[];
  problems: { source: string; key: string; message: string }[];
  managed_source: string | null;
  since_ms: Record<string, number>;
  changes: PolicyChange[];
}

export interface Setup {
  proxy: string[];
  otel: string[];
}

export interface Deleted {
  calls: number;
  receipts: number;
  server_deleted: number | null;
}

export type AgentEvent =
  | { event: "call_counted"; tool: ToolId; model: string; total_tokens: number; provenance: string; via: string; at_ms: number }
  | { event: "source_appeared"; tool: ToolId }
  | { event: "task_failed"; task: string; error: string }
  | { event: "task_recovered"; task: string }
  | { event: "policy_changed"; sanctioned: ToolId[] }
  | { event: "pause_changed"; paused_until_ms: number | null }
  | { event: "throttled"; reason: string | null };

/** One read of this device's data by someone at the organisation. */
export interface AccessEntry {
  at_ms: number;
  /** The admin token's name, e.g. "people-analytics". */
  who: string;
  /** What was read, e.g. "report by=team". */
  what: string;
}

/** Who read this device's data, as the organisation's server records it. */
export interface AccessView {
  /** no_server: the policy names no TokenTally server; not_enrolled: this device has no token there yet (nothing is asked of the server); ok: the server answered. */
  state: "no_server" | "not_enrolled" | "ok";
  /** The server's base URL, e.g. "https://tokentally.example.com", or null. */
  server: string | null;
  /** Every read of this device's data by a company admin, newest first. */
  entries: AccessEntry[];
}

/** How a command fails. */
export interface BackendError {
  code: string;
  message: string;
}

export interface Backend {
  getStatus(): Promise<Status>;
  getUsage(days: 1 | 7 | 30): Promise<UsageView>;
  getPreview(): Promise<Preview>;
  getRecentCalls(): Promise<RecentCall[]>;
  getUploads(): Promise<Receipt[]>;
  getUploadPayload(id: number): Promise<string>;
  getAbout(): Promise<About>;
  /** Fails with code "unreachable" when the server can't be reached, "refused" when it refuses (others possible). */
  getAccessLog(): Promise<AccessView>;
  getSetup(): Promise<Setup>;
  setUpload(enabled: boolean, includePast: boolean): Promise<void>;
  setGranularity(g: Period): Promise<void>;
  pause(minutes: number | null, untilTomorrow: boolean): Promise<void>;
  resume(): Promise<void>;
  exportData(format: "json" | "csv"): Promise<string>;
  deleteData(): Promise<Deleted>;
  onEvent(cb: (e: AgentEvent) => void): Promise<() => void>;
}
