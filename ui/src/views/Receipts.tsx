// Every upload attempt, each payload fetched when asked for.
import { useState } from "preact/hooks";
import type { Receipt } from "../backend/types";
import { Empty, ErrorNote, Loaded } from "../app/common";
import { asBackendError, useBackend, useResource } from "../app/data";
import type { BackendError } from "../backend/types";
import { useI18n } from "../i18n";
import { formatDateTime, formatNumber } from "../lib/format";

export function Receipts() {
  const { t } = useI18n();
  const uploads = useResource((b) => b.getUploads());
  return (
    <Loaded res={uploads}>
      {(list) =>
        list.length === 0 ? (
          <Empty>{t("shared.no_uploads")}</Empty>
        ) : (
          <div class="table-scroll">
            <table class="receipts" data-testid="receipts">
              <thead>
                <tr>
                  <th scope="col">{t("shared.col.when")}</th>
                  <th scope="col">{t("shared.col.to")}</th>
                  <th scope="col">{t("shared.col.buckets")}</th>
                  <th scope="col">{t("shared.col.outcome")}</th>
                  <th scope="col">{t("shared.col.sha256")}</th>
                  <th scope="col"><span class="visually-hidden">{t("shared.show_payload")}</span></th>
                </tr>
              </thead>
              {list.map((r) => <ReceiptRows key={r.id} receipt={r} />)}
            </table>
          </div>
        )
      }
    </Loaded>
  );
}

function ReceiptRows(props: { receipt: Receipt }) {
  const { t, locale } = useI18n();
  const backend = useBackend();
  const r = props.receipt;
  const [open, setOpen] = useState(false);
  const [bytes, setBytes] = useState<string | null>(null);
  const [error, setError] = useState<BackendError | null>(null);

  const toggle = async () => {
    if (open) return setOpen(false);
    setOpen(true);
    if (bytes !== null) return;
    try {
      setError(null);
      setBytes(await backend.getUploadPayload(r.id));
    } catch (e) {
      setError(asBackendError(e));
    }
  };

  const outcome = [t(`outcome.${r.outcome}`), r.http_status !== null ? `HTTP ${r.http_status}` : null, r.ack ? t("shared.ack", { ack: r.ack }) : null, r.detail]
    .filter(Boolean)
    .join(" · ");
  const panelId = `receipt-${r.id}`;

  return (
    <tbody>
      <tr>
        <td>{formatDateTime(r.at_ms, locale)}</td>
        <td>{r.server} <span class="muted">({t(`sink.${r.sink}`)})</span></td>
        <td class="num">{formatNumber(r.buckets, locale)}</td>
        <td class={`outcome outcome-${r.outcome}`}>{outcome}</td>
        <td><code class="hash" title={r.sha256}>{r.sha256}</code></td>
        <td>
          <button type="button" aria-expanded={open} aria-controls={panelId} onClick={toggle}>
            {open ? t("shared.hide_payload") : t("shared.show_payload")}
          </button>
        </td>
      </tr>
      {open && (
        <tr id={panelId}>
          <td colSpan={6}>
            {error ? (
              <ErrorNote error={error} />
            ) : bytes === null ? (
              <p class="muted">{t("common.loading")}</p>
            ) : (
              <pre class="code verbatim" tabIndex={0} aria-label={t("shared.payload_of", { id: r.id })} data-testid={`receipt-bytes-${r.id}`}>{bytes}</pre>
            )}
          </td>
        </tr>
      )}
    </tbody>
  );
}
