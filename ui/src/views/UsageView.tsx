// My usage: the employee's own numbers for today, 7 or 30 days.
import { useMemo, useState } from "preact/hooks";
import type { Totals, UsageView as Usage } from "../backend/types";
import { Loaded, Section } from "../app/common";
import { useResource, useStatus } from "../app/data";
import { useI18n } from "../i18n";
import { formatCompact, formatDay, formatNumber, formatPercent, formatUsd, ratio } from "../lib/format";
import { toolName } from "../lib/tools";
import { dailyChartData } from "./chartData";
import { DailyChart } from "./DailyChart";
import { TokenSplit } from "./TokenSplit";

type Days = 1 | 7 | 30;
const PERIODS: Days[] = [1, 7, 30];

export function UsageView() {
  const { t } = useI18n();
  const [days, setDays] = useState<Days>(7);
  const usage = useResource((b) => b.getUsage(days), [days]);

  return (
    <div class="view">
      <fieldset class="segmented">
        <legend class="visually-hidden">{t("usage.period")}</legend>
        {PERIODS.map((d) => (
          <label key={d} class={d === days ? "selected" : ""}>
            <input type="radio" name="usage-period" value={d} checked={d === days} onChange={() => setDays(d)} />
            <span>{t(`usage.period.${d}`)}</span>
          </label>
        ))}
      </fieldset>
      <Loaded res={usage}>{(u) => <UsageBody usage={u} />}</Loaded>
    </div>
  );
}

function UsageBody(props: { usage: Usage }) {
  const i18n = useI18n();
  const { t, locale } = i18n;
  const status = useStatus();
  const u = props.usage;
  const chart = useMemo(() => dailyChartData(u, (tool) => toolName(tool, i18n)), [u, i18n]);

  if (u.totals.calls === 0) {
    const noTools = status !== undefined && status.sources.every((s) => !s.found);
    const neverCalled = status !== undefined && status.sources.every((s) => s.last_call_ms === null);
    return (
      <p class="empty" data-testid="usage-empty">
        {noTools ? t("usage.no_tools") : neverCalled ? t("usage.empty") : t("usage.empty_period")}
      </p>
    );
  }

  return (
    <>
      <p class="muted range">
        {t("usage.range", { from: formatDay(u.from_day, locale, true), to: formatDay(u.to_day, locale, true), zone: u.zone })}
      </p>
      <Stats usage={u} />
      <Section id="split" title={t("usage.split")}>
        <TokenSplit totals={u.totals} />
      </Section>
      {u.days > 1 && (
        <Section id="daily" title={t("usage.chart")}>
          <DailyChart data={chart} from={u.from_day} to={u.to_day} />
        </Section>
      )}
      <Section id="by-tool" title={t("usage.by_tool")}>
        <TotalsTable rows={u.by_tool.map((r) => ({ ...r, name: toolName(r.tool, i18n) }))} first={t("usage.col.tool")} testid="by-tool" />
      </Section>
      <Section id="by-model" title={t("usage.by_model")}>
        <TotalsTable rows={u.by_model.map((r) => ({ ...r, name: r.model }))} first={t("usage.col.model")} testid="by-model" />
      </Section>
      <p class="muted private-note">{t("usage.private_note")}</p>
    </>
  );
}

/** "12% estimated", or nothing when every count is exact or reported. */
export function estimatedText(totals: Pick<Totals, "calls" | "estimated_calls">, i18n: ReturnType<typeof useI18n>): string | null {
  if (totals.estimated_calls === 0) return null;
  return i18n.t("usage.estimated", { pct: formatPercent(ratio(totals.estimated_calls, totals.calls), i18n.locale) });
}

/** Share of input served from the prompt cache. */
export const cacheShare = (x: Totals) => ratio(x.cache_read, x.input + x.cache_read + x.cache_write);

function Stats(props: { usage: Usage }) {
  const i18n = useI18n();
  const { t, locale } = i18n;
  const x = props.usage.totals;
  const est = estimatedText(x, i18n);
  const unpriced = [...props.usage.by_model].some((m) => m.cost_usd === null);
  return (
    <dl class="stats" data-testid="stats">
      <Stat label={t("usage.tokens")} value={formatCompact(x.total, locale)} title={formatNumber(x.total, locale)} note={est ?? t("usage.all_exact")} noteHint={est ? t("usage.estimated_hint") : undefined} testid="stat-total" />
      <Stat label={t("usage.calls")} value={formatNumber(x.calls, locale)} testid="stat-calls" />
      <Stat label={t("usage.per_call")} value={formatCompact(Math.round(ratio(x.total, x.calls)), locale)} note={t("usage.per_call_hint")} />
      <Stat label={t("usage.cache_share")} value={formatPercent(cacheShare(x), locale)} note={t("usage.cache_share_hint")} testid="stat-cache" />
      <Stat
        label={t("usage.cost")}
        value={x.cost_usd === null ? t("common.none") : formatUsd(x.cost_usd, locale)}
        note={t("usage.prices_as_of", { date: formatDay(props.usage.prices_as_of, locale, true) }) + (unpriced ? " " + t("usage.cost_partial") : "")}
        testid="stat-cost"
      />
    </dl>
  );
}

function Stat(props: { label: string; value: string; title?: string; note?: string; noteHint?: string; testid?: string }) {
  return (
    <div class="stat" data-testid={props.testid}>
      <dt>{props.label}</dt>
      <dd class="stat-value" title={props.title}>{props.value}</dd>
      {props.note && <dd class="stat-note" title={props.noteHint}>{props.note}</dd>}
    </div>
  );
}

function TotalsTable(props: { rows: (Totals & { name: string })[]; first: string; testid: string }) {
  const i18n = useI18n();
  const { t, locale } = i18n;
  return (
    <div class="table-scroll">
      <table class="numbers" data-testid={props.testid}>
        <thead>
          <tr>
            <th scope="col">{props.first}</th>
            <th scope="col">{t("usage.col.tokens")}</th>
            <th scope="col">{t("usage.col.input")}</th>
            <th scope="col">{t("usage.col.output")}</th>
            <th scope="col">{t("usage.col.cache")}</th>
            <th scope="col">{t("usage.col.calls")}</th>
            <th scope="col">{t("usage.col.per_call")}</th>
            <th scope="col">{t("usage.col.cost")}</th>
            <th scope="col">{t("usage.col.estimated")}</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={r.name}>
              <th scope="row">{r.name}</th>
              <td title={formatNumber(r.total, locale)}>{formatCompact(r.total, locale)}</td>
              <td>{formatCompact(r.input, locale)}</td>
              <td>{formatCompact(r.output, locale)}</td>
              <td>{formatCompact(r.cache_read, locale)}</td>
              <td>{formatNumber(r.calls, locale)}</td>
              <td>{formatCompact(Math.round(ratio(r.total, r.calls)), locale)}</td>
              <td>{r.cost_usd === null ? <span class="muted">{t("usage.no_price")}</span> : formatUsd(r.cost_usd, locale)}</td>
              <td>{estimatedText(r, i18n) ?? <span class="muted">{t("common.none")}</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
