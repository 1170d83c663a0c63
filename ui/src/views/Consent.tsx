// Turning sharing on (from now on, or including the past) and off.
import { useState } from "preact/hooks";
import type { About, BackendError } from "../backend/types";
import { ErrorNote } from "../app/common";
import { asBackendError, useBackend, useRefresh, useStatus } from "../app/data";
import { useI18n } from "../i18n";
import { policyValue, uploadsAllowed } from "../lib/policy";

export function Consent(props: { about: About }) {
  const { t } = useI18n();
  const backend = useBackend();
  const refresh = useRefresh();
  const status = useStatus();
  const [asking, setAsking] = useState(false);
  const [includePast, setIncludePast] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);

  if (!uploadsAllowed(props.about) || status?.upload.state === "disabled") {
    return <p class="note note-off" data-testid="consent-disabled">{t("consent.disabled")}</p>;
  }
  if (!policyValue<string | null>(props.about, "server_url", null) && !policyValue<string | null>(props.about, "otlp_url", null)) {
    return <p class="note note-off" data-testid="consent-no-server">{t("consent.no_server")}</p>;
  }

  const on = status?.upload.state === "on";

  const set = async (enabled: boolean, past: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await backend.setUpload(enabled, past);
      setAsking(false);
      refresh();
    } catch (e) {
      setError(asBackendError(e));
    } finally {
      setBusy(false);
    }
  };

  const onToggle = () => {
    if (on) void set(false, false);
    else {
      setIncludePast(false);
      setAsking(true);
    }
  };

  return (
    <div class="consent" data-testid="consent">
      <p>{t("consent.explain")}</p>
      <label class="switch">
        <input type="checkbox" role="switch" checked={on || asking} disabled={busy || status === undefined} onChange={onToggle} aria-describedby="consent-state" />
        <span>{t("consent.toggle")}</span>
      </label>
      <p id="consent-state" class="muted" data-testid="consent-state">{on ? t("consent.is_on") : t("consent.is_off")}</p>
      {asking && !on && (
        <fieldset class="choices stacked" data-testid="consent-choice">
          <legend>{t("consent.choose")}</legend>
          <label>
            <input type="radio" name="consent-scope" checked={!includePast} onChange={() => setIncludePast(false)} />
            <span>{t("consent.from_now")}<span class="hint-inline">{t("consent.from_now_hint")}</span></span>
          </label>
          <label>
            <input type="radio" name="consent-scope" checked={includePast} onChange={() => setIncludePast(true)} />
            <span>{t("consent.include_past")}<span class="hint-inline">{t("consent.include_past_hint")}</span></span>
          </label>
          <div class="buttons">
            <button type="button" class="primary" disabled={busy} onClick={() => set(true, includePast)}>{t("consent.confirm")}</button>
            <button type="button" disabled={busy} onClick={() => setAsking(false)}>{t("common.cancel")}</button>
          </div>
        </fieldset>
      )}
      {error && <ErrorNote error={error} />}
    </div>
  );
}
