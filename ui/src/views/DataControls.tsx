// Export (as a file to download) and delete (after a confirmation).
import { useEffect, useRef, useState } from "preact/hooks";
import type { BackendError, Deleted } from "../backend/types";
import { ErrorNote } from "../app/common";
import { asBackendError, useBackend, useRefresh } from "../app/data";
import { useI18n } from "../i18n";

interface Download {
  url: string;
  file: string;
}

const today = () => new Date().toISOString().slice(0, 10);

export function DataControls() {
  const { t, tn } = useI18n();
  const backend = useBackend();
  const refresh = useRefresh();
  const [download, setDownload] = useState<Download | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleted, setDeleted] = useState<Deleted | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [busy, setBusy] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => () => {
    if (download) URL.revokeObjectURL(download.url);
  }, [download]);
  useEffect(() => {
    if (confirming) cancelRef.current?.focus();
  }, [confirming]);

  const exportAs = async (format: "json" | "csv") => {
    setError(null);
    try {
      const text = await backend.exportData(format);
      const type = format === "json" ? "application/json" : "text/csv";
      setDownload({ url: URL.createObjectURL(new Blob([text], { type })), file: `tokentally-${today()}.${format}` });
    } catch (e) {
      setError(asBackendError(e));
    }
  };

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      setDeleted(await backend.deleteData());
      setConfirming(false);
      refresh();
    } catch (e) {
      setError(asBackendError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="data-controls">
      <p>{t("data.export_explain")}</p>
      <div class="buttons">
        <button type="button" onClick={() => exportAs("json")}>{t("data.export_json")}</button>
        <button type="button" onClick={() => exportAs("csv")}>{t("data.export_csv")}</button>
        {download && (
          <a class="download" href={download.url} download={download.file} data-testid="download">
            {t("data.download", { file: download.file })}
          </a>
        )}
      </div>
      <hr />
      {!confirming ? (
        <button type="button" class="danger" onClick={() => { setDeleted(null); setConfirming(true); }}>{t("data.delete")}</button>
      ) : (
        <div class="confirm" role="group" aria-labelledby="delete-warning" data-testid="delete-confirm">
          <p id="delete-warning">{t("data.delete_warning")}</p>
          <div class="buttons">
            <button type="button" class="danger" disabled={busy} onClick={remove}>{t("data.delete_confirm")}</button>
            <button type="button" ref={cancelRef} disabled={busy} onClick={() => setConfirming(false)}>{t("common.cancel")}</button>
          </div>
        </div>
      )}
      {deleted && (
        <p class="note" role="status" data-testid="deleted">
          {t("data.deleted", { calls: tn("common.calls", deleted.calls), receipts: deleted.receipts })}{" "}
          {deleted.server_deleted === null ? t("data.server_untouched") : t("data.server_deleted", { buckets: tn("common.buckets", deleted.server_deleted) })}
        </p>
      )}
      {error && <ErrorNote error={error} />}
    </div>
  );
}
