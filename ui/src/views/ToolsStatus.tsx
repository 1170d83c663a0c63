// The tools found on this computer, and the lines that connect the others.
import { CopyLine, Empty, Loaded, Loading } from "../app/common";
import { useResource, useStatus } from "../app/data";
import { useI18n } from "../i18n";
import { formatRelative } from "../lib/format";
import { toolName } from "../lib/tools";

export function ToolsStatus() {
  const i18n = useI18n();
  const { t, tn, locale } = i18n;
  const status = useStatus();
  if (!status) return <Loading />;
  if (status.sources.every((s) => !s.found)) return <Empty>{t("tools.none_found")}</Empty>;
  const now = Date.now();
  return (
    <div class="table-scroll">
      <table data-testid="tools">
        <thead>
          <tr>
            <th scope="col">{t("tools.col.tool")}</th>
            <th scope="col">{t("tools.col.status")}</th>
            <th scope="col">{t("tools.col.via")}</th>
            <th scope="col">{t("tools.col.last_call")}</th>
            <th scope="col">{t("tools.col.problems")}</th>
          </tr>
        </thead>
        <tbody>
          {status.sources.map((s) => (
            <tr key={s.tool}>
              <th scope="row">{toolName(s.tool, i18n)}</th>
              <td>
                {!s.sanctioned ? t("tools.not_sanctioned") : s.found ? t("tools.found") : <span class="muted">{t("tools.not_found")}</span>}
                {s.found && s.files > 0 && <span class="muted"> · {tn("common.files", s.files)}</span>}
              </td>
              <td>{t(`via.${s.via}`)}</td>
              <td>{s.last_call_ms === null ? <span class="muted">{t("tools.never")}</span> : formatRelative(s.last_call_ms, now, locale)}</td>
              <td>
                {s.problems.length === 0 ? (
                  <span class="muted">{t("tools.no_problems")}</span>
                ) : (
                  <ul class="problems">{s.problems.map((p) => <li key={p}>{p}</li>)}</ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function SetupLines() {
  const { t } = useI18n();
  const setup = useResource((b) => b.getSetup());
  return (
    <Loaded res={setup}>
      {(s) => (
        <>
          <p>{t("setup.proxy")}</p>
          <ul class="copy-lines" data-testid="setup-proxy">{s.proxy.map((l) => <CopyLine key={l} line={l} />)}</ul>
          <p>{t("setup.otel")}</p>
          <ul class="copy-lines" data-testid="setup-otel">{s.otel.map((l) => <CopyLine key={l} line={l} />)}</ul>
        </>
      )}
    </Loaded>
  );
}
