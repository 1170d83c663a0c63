// Input / output / cache / reasoning as one proportional bar and a legend.
import type { Totals } from "../backend/types";
import { useI18n, type MessageKey } from "../i18n";
import { formatCompact, formatNumber, formatPercent, ratio } from "../lib/format";

const KINDS = ["input", "output", "cache_read", "cache_write", "reasoning"] as const;

export function TokenSplit(props: { totals: Totals }) {
  const { t, locale } = useI18n();
  const x = props.totals;
  const whole = KINDS.reduce((a, k) => a + x[k], 0);
  return (
    <div class="split">
      <div class="split-bar" aria-hidden="true">
        {KINDS.map((k) => x[k] > 0 && <span key={k} class={`kind-${k}`} style={{ width: `${(100 * x[k]) / whole}%` }} />)}
      </div>
      <ul class="split-legend" data-testid="split">
        {KINDS.map((k) => (
          <li key={k}>
            <span class={`swatch kind-${k}`} aria-hidden="true" />
            <span class="split-name">{t(`usage.${k}` as MessageKey)}</span>
            <span class="split-value" title={formatNumber(x[k], locale)}>{formatCompact(x[k], locale)}</span>
            <span class="muted">{formatPercent(ratio(x[k], whole), locale)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
