// What's shared: what is sent, if anything; a call followed from the tool's
// record to the upload; every upload so far; and who at the organisation read
// this device's data.
import { useState } from "preact/hooks";
import type { Preview, RecentCall } from "../backend/types";
import { Empty, Loaded, Section } from "../app/common";
import { useResource, useStatus } from "../app/data";
import { useI18n } from "../i18n";
import { formatNumber, formatWhen } from "../lib/format";
import { toolName } from "../lib/tools";
import { AccessLog } from "./AccessLog";
import { CallDetail } from "./CallDetail";
import { Receipts } from "./Receipts";

const callKey = (c: RecentCall) => `${c.at_ms}|${c.tool}|${c.model}`;

export function SharedView() {
  const { t } = useI18n();
  const preview = useResource((b) => b.getPreview());
  const calls = useResource((b) => b.getRecentCalls());

  return (
    <div class="view">
      <Loaded res={preview}>{(p) => <SharingState preview={p} />}</Loaded>
      <Section id="recent" title={t("shared.recent")}>
        <Loaded res={calls}>{(list) => (list.length ? <CallPicker calls={list} preview={preview.data} /> : <Empty>{t("shared.no_calls")}</Empty>)}</Loaded>
      </Section>
      <Section id="uploads" title={t("shared.uploads")}>
        <Receipts />
      </Section>
      <Section id="access" title={t("access.heading")} hint={t("access.explain")}>
        <AccessLog labelledBy="access" />
      </Section>
    </div>
  );
}

function SharingState(props: { preview: Preview }) {
  const { t, locale } = useI18n();
  const status = useStatus();
  const p = props.preview;
  const server = p.payloads[0]?.url ? new URL(p.payloads[0].url).host : null;
  const next = status?.upload.next_attempt_ms ?? null;
  const text =
    p.state === "on" ? (server ? t("shared.state.on", { server }) : t("shared.state.on_no_server")) : t(`shared.state.${p.state}`);
  return (
    <div class={`note ${p.state === "on" ? "note-on" : "note-off"}`} data-testid="sharing-state">
      <p>{text}</p>
      {p.state === "on" && next !== null && <p class="muted">{t("shared.next_attempt", { time: formatWhen(next, Date.now(), locale) })}</p>}
      {p.reason && <p class="muted">{p.reason}</p>}
    </div>
  );
}

function CallPicker(props: { calls: RecentCall[]; preview: Preview | undefined }) {
  const i18n = useI18n();
  const { t, locale } = i18n;
  const [picked, setPicked] = useState<string>(callKey(props.calls[0]));
  const call = props.calls.find((c) => callKey(c) === picked) ?? props.calls[0];
  const now = Date.now();
  return (
    <div class="picker">
      <p class="hint" id="recent-hint">{t("shared.recent_hint")}</p>
      <ul class="call-list" aria-describedby="recent-hint" data-testid="call-list">
        {props.calls.map((c) => (
          <li key={callKey(c)}>
            <button type="button" aria-pressed={callKey(c) === callKey(call)} onClick={() => setPicked(callKey(c))}>
              {t("shared.call_label", {
                time: formatWhen(c.at_ms, now, locale),
                tool: toolName(c.tool, i18n),
                model: c.model,
                tokens: formatNumber(c.input + c.output + c.cache_read + c.cache_write + c.reasoning, locale),
              })}
            </button>
          </li>
        ))}
      </ul>
      <CallDetail call={call} preview={props.preview} />
    </div>
  );
}
