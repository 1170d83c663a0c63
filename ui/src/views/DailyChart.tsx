// Tokens per day stacked by tool, drawn by Chart.js, with the same numbers
// in a table for screen readers and for anyone who prefers one.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";
import { useEffect, useRef } from "preact/hooks";
import { useI18n } from "../i18n";
import { formatCompact, formatDay, formatNumber } from "../lib/format";
import type { DailyChartData } from "./chartData";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export function DailyChart(props: { data: DailyChartData; from: string; to: string }) {
  const { t, locale } = useI18n();
  const canvas = useRef<HTMLCanvasElement>(null);
  const { data } = props;

  useEffect(() => {
    const el = canvas.current;
    // No canvas in tests (jsdom/happy-dom) or a failing GPU: the table stays.
    const ctx = el?.getContext?.("2d");
    if (!el || !ctx) return;
    let chart: Chart | undefined;
    const draw = () => {
      chart?.destroy();
      const text = cssVar("--text-muted", "#666");
      const grid = cssVar("--border", "#ddd");
      chart = new Chart(ctx, {
        type: "bar",
        data: {
          labels: data.days.map((d) => formatDay(d, locale)),
          datasets: data.series.map((s) => ({ label: s.label, data: s.data, backgroundColor: s.colour, borderWidth: 0, maxBarThickness: 28 })),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          locale,
          interaction: { mode: "index", intersect: false },
          scales: {
            x: { stacked: true, ticks: { color: text, maxRotation: 0, autoSkip: true }, grid: { display: false } },
            y: { stacked: true, ticks: { color: text, callback: (v) => formatCompact(Number(v), locale) }, grid: { color: grid } },
          },
          plugins: {
            legend: { position: "bottom", labels: { color: text, boxWidth: 12 } },
            tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${formatNumber(Number(c.raw), locale)}` } },
          },
        },
      });
    };
    draw();
    // Redraw with the new colours when the OS switches light/dark.
    const mq = window.matchMedia?.("(prefers-color-scheme: dark)");
    mq?.addEventListener?.("change", draw);
    return () => {
      mq?.removeEventListener?.("change", draw);
      chart?.destroy();
    };
  }, [data, locale]);

  return (
    <figure class="chart">
      <div class="chart-box">
        <canvas ref={canvas} role="img" aria-label={t("usage.chart_label", { from: formatDay(props.from, locale, true), to: formatDay(props.to, locale, true) })} />
      </div>
      <details>
        <summary>{t("usage.chart_table")}</summary>
        <div class="table-scroll">
          <table class="numbers" data-testid="daily-table">
            <thead>
              <tr>
                <th scope="col">{t("usage.day")}</th>
                {data.series.map((s) => <th scope="col" key={s.tool}>{s.label}</th>)}
              </tr>
            </thead>
            <tbody>
              {data.days.map((day, i) => (
                <tr key={day}>
                  <th scope="row">{formatDay(day, locale)}</th>
                  {data.series.map((s) => <td key={s.tool}>{formatNumber(s.data[i], locale)}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
