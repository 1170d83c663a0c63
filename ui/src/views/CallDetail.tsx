// One call, side by side: the tool's record (text replaced), the event kept,
// its bucket, and the next upload's exact bytes.
import type { BucketRef, Preview, RecentCall } from "../backend/types";
import { useI18n, type MessageKey } from "../i18n";
import { formatDateTime, formatNumber } from "../lib/format";
import { toolName } from "../lib/tools";

/** Pretty-prints a JSON record; anything else is shown as it is. */
function readable(record: string): string {
  try {
    return JSON.stringify(JSON.parse(record), null, 2);
  } catch {
    return record;
  }
}

/** The record with each «…» marker highlighted. */
function Marked(props: { text: string }) {
  const parts = props.text.split(/(«[^»]*»)/g);
  return <>{parts.map((p, i) => (p.startsWith("«") ? <mark key={i}>{p}</mark> : p))}</>;
}

/** Whether the payload holds this bucket (the upload names the bucket by start, period, tool, model). */
export function payloadHasBucket(bytes: string, b: BucketRef): boolean {
  try {
    const parsed = JSON.parse(bytes) as { buckets?: Partial<BucketRef>[] };
    return (parsed.buckets ?? []).some((x) => x.start === b.start && x.period === b.period && x.tool === b.tool && x.model === b.model);
  } catch {
    return false;
  }
}

export function CallDetail(props: { call: RecentCall; preview: Preview | undefined }) {
  const i18n = useI18n();
  const { t, tn, locale } = i18n;
  const c = props.call;
  const p = props.preview;
  const counts = ["input", "output", "cache_read", "cache_write", "reasoning"] as const;
  const inPayload = p?.payloads.some((x) => payloadHasBucket(x.bytes, c.bucket)) ?? false;

  return (
    <div class="detail-grid" data-testid="call-detail">
      <section class="pane" aria-labelledby="pane-record">
        <h3 id="pane-record">{t("shared.record")}</h3>
        {c.record === null ? (
          <p class="note" data-testid="no-record">{t("shared.record_none")}</p>
        ) : (
          <>
            <p class="hint">{t("shared.record_hint")}</p>
            <pre class="code" tabIndex={0} aria-labelledby="pane-record" data-testid="record"><Marked text={readable(c.record)} /></pre>
          </>
        )}
      </section>

      <section class="pane" aria-labelledby="pane-event">
        <h3 id="pane-event">{t("shared.event")}</h3>
        <p class="hint">{t("shared.event_hint")}</p>
        <dl class="fields" data-testid="event">
          <dt>{t("field.time")}</dt><dd>{formatDateTime(c.at_ms, locale)}</dd>
          <dt>{t("field.tool")}</dt><dd>{toolName(c.tool, i18n)}</dd>
          <dt>{t("field.model")}</dt><dd><code>{c.model}</code></dd>
          {counts.map((k) => (
            <>
              <dt key={`${k}-t`}>{t(`field.${k}` as MessageKey)}</dt>
              <dd key={`${k}-d`} class="num">{formatNumber(c[k], locale)}</dd>
            </>
          ))}
          <dt>{t("field.provenance")}</dt><dd>{t(`provenance.${c.provenance}`)}</dd>
          <dt>{t("field.via")}</dt><dd>{t(`via.${c.via}`)}</dd>
        </dl>
      </section>

      <section class="pane" aria-labelledby="pane-bucket">
        <h3 id="pane-bucket">{t("shared.bucket")}</h3>
        <p class="hint">{t("shared.bucket_hint")}</p>
        <dl class="fields" data-testid="bucket">
          <dt>{t("field.period")}</dt><dd>{t(`period.${c.bucket.period}`)}</dd>
          <dt>{t("field.start")}</dt><dd>{formatDateTime(c.bucket.start * 1000, locale)} <span class="muted">({c.bucket.start})</span></dd>
          <dt>{t("field.tool")}</dt><dd><code>{c.bucket.tool}</code></dd>
          <dt>{t("field.model_uploaded")}</dt><dd><code>{c.bucket.model}</code></dd>
        </dl>
        {p?.state === "on" && (
          <p class={inPayload ? "note note-on" : "note"} data-testid="in-payload">{inPayload ? t("shared.in_payload") : t("shared.not_in_payload")}</p>
        )}
      </section>

      <section class="pane pane-wide" aria-labelledby="pane-payload">
        <h3 id="pane-payload">{t("shared.payload")}</h3>
        {!p || p.state !== "on" ? (
          <p class="note" data-testid="payload-none">{t("shared.payload_none")}</p>
        ) : p.payloads.length === 0 ? (
          <p class="note" data-testid="payload-none">{t("shared.payload_empty")}</p>
        ) : (
          p.payloads.map((x) => (
            <div key={x.sha256} class="payload">
              <p class="muted">{t("shared.payload_to", { url: x.url })} · {tn("common.buckets", x.buckets)}</p>
              <p class="sha"><span>{t("shared.sha256")}</span> <code data-testid="payload-sha">{x.sha256}</code></p>
              <pre class="code verbatim" tabIndex={0} aria-label={t("shared.payload")} data-testid="payload-bytes">{x.bytes}</pre>
            </div>
          ))
        )}
      </section>
    </div>
  );
}
