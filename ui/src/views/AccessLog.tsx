// Who read this device's data: the reads by the organisation's admins that its
// server recorded, as the agent fetched them from there.
import type { AccessView, BackendError } from "../backend/types";
import { Empty, ErrorNote, Loading } from "../app/common";
import { useResource } from "../app/data";
import { useI18n } from "../i18n";
import { formatDateTime } from "../lib/format";

/** The host of a server URL, or the URL itself if it doesn't parse. */
function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

export function AccessLog(props: { labelledBy: string }) {
  // Not reloaded on the agent's events: each load asks the organisation's
  // server, and nothing counted here changes who read what there.
  const res = useResource((b) => b.getAccessLog(), [], { live: false });
  return (
    <div data-testid="access">
      {res.error && <AccessError error={res.error} retry={res.reload} />}
      {res.data ? <AccessState view={res.data} labelledBy={props.labelledBy} /> : !res.error && <Loading />}
    </div>
  );
}

function AccessError(props: { error: BackendError; retry: () => void }) {
  const { t } = useI18n();
  const { code } = props.error;
  return (
    <>
      <ErrorNote error={props.error} retry={props.retry} />
      {code === "unreachable" && <p class="muted">{t("access.unreachable")}</p>}
      {code === "refused" && <p class="muted">{t("access.refused")}</p>}
    </>
  );
}

function AccessState(props: { view: AccessView; labelledBy: string }) {
  const { t, locale } = useI18n();
  const v = props.view;
  if (v.state === "no_server") return <p class="note" data-testid="access-note">{t("access.no_server")}</p>;
  if (v.state === "not_enrolled") return <p class="note" data-testid="access-note">{t("access.not_enrolled")}</p>;
  // Newest first, whatever order the server sent.
  const entries = [...v.entries].sort((a, b) => b.at_ms - a.at_ms);
  return (
    <>
      {entries.length === 0 ? (
        <Empty>{t("access.none")}</Empty>
      ) : (
        <div class="table-scroll">
          <table class="access-log" data-testid="access-log" aria-labelledby={props.labelledBy}>
            <thead>
              <tr>
                <th scope="col">{t("access.col.when")}</th>
                <th scope="col">{t("access.col.who")}</th>
                <th scope="col">{t("access.col.what")}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e, i) => (
                <tr key={`${e.at_ms}|${e.who}|${e.what}|${i}`}>
                  <td>{Number.isFinite(e.at_ms) ? <time dateTime={new Date(e.at_ms).toISOString()}>{formatDateTime(e.at_ms, locale)}</time> : t("common.none")}</td>
                  <td>{e.who}</td>
                  <td><code>{e.what}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {v.server && <p class="hint" data-testid="access-server">{t("access.kept_by", { server: hostOf(v.server) })}</p>}
    </>
  );
}
