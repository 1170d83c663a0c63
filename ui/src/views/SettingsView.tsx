// Settings: sharing, the period of sums, pause, tools, and the employee's data.
import { useState } from "preact/hooks";
import type { About, Period } from "../backend/types";
import { ErrorNote, Loaded, Section } from "../app/common";
import { asBackendError, useBackend, useRefresh, useResource, useStatus } from "../app/data";
import type { BackendError } from "../backend/types";
import { useI18n } from "../i18n";
import { formatWhen } from "../lib/format";
import { pausedIndefinitely } from "../lib/pause";
import { finerThan, floorOf, PERIODS, policyKey, policyValue } from "../lib/policy";
import { Consent } from "./Consent";
import { DataControls } from "./DataControls";
import { SetupLines, ToolsStatus } from "./ToolsStatus";

export function SettingsView() {
  const { t } = useI18n();
  const about = useResource((b) => b.getAbout());
  return (
    <div class="view settings">
      <Section id="consent" title={t("consent.heading")}>
        <Loaded res={about}>{(a) => <Consent about={a} />}</Loaded>
      </Section>
      <Section id="granularity" title={t("granularity.heading")} hint={t("granularity.explain")}>
        <Loaded res={about}>{(a) => <Granularity about={a} onChange={about.reload} />}</Loaded>
      </Section>
      <Section id="pause" title={t("pause.heading")} hint={t("pause.explain")}>
        <Pause />
      </Section>
      <Section id="tools" title={t("tools.heading")}>
        <ToolsStatus />
      </Section>
      <Section id="setup" title={t("setup.heading")}>
        <SetupLines />
      </Section>
      <Section id="data" title={t("data.heading")}>
        <DataControls />
      </Section>
    </div>
  );
}

function Granularity(props: { about: About; onChange: () => void }) {
  const { t } = useI18n();
  const backend = useBackend();
  const [error, setError] = useState<BackendError | null>(null);
  const floor = floorOf(props.about);
  const current = policyValue<Period>(props.about, "granularity", floor);
  const locked = policyKey(props.about, "granularity")?.locked ?? false;

  const choose = async (g: Period) => {
    setError(null);
    try {
      await backend.setGranularity(g);
      props.onChange();
    } catch (e) {
      setError(asBackendError(e));
    }
  };

  return (
    <>
      <fieldset class="choices" data-testid="granularity">
        <legend class="visually-hidden">{t("granularity.heading")}</legend>
        {PERIODS.map((p) => (
          <label key={p} class={finerThan(p, floor) || locked ? "disabled" : ""}>
            <input type="radio" name="granularity" value={p} checked={p === current} disabled={finerThan(p, floor) || locked} onChange={() => choose(p)} />
            {t(`period.${p}`)}
          </label>
        ))}
      </fieldset>
      {locked ? (
        <p class="muted">{t("granularity.locked")}</p>
      ) : (
        floor !== "hour" && <p class="muted">{t("granularity.floor", { period: t(`period.${floor}.lower`) })}</p>
      )}
      {error && <ErrorNote error={error} />}
    </>
  );
}

function Pause() {
  const { t, locale } = useI18n();
  const backend = useBackend();
  const refresh = useRefresh();
  const status = useStatus();
  const [error, setError] = useState<BackendError | null>(null);
  const until = status?.paused_until_ms ?? null;

  const run = async (action: () => Promise<void>) => {
    setError(null);
    try {
      await action();
      refresh();
    } catch (e) {
      setError(asBackendError(e));
    }
  };

  const state =
    until === null
      ? t("pause.counting")
      : pausedIndefinitely(until)
        ? t("status.paused_resume")
        : t("status.paused_until", { time: formatWhen(until, Date.now(), locale) });

  return (
    <>
      <p data-testid="pause-state">{state}</p>
      <div class="buttons">
        <button type="button" onClick={() => run(() => backend.pause(60, false))}>{t("pause.hour")}</button>
        <button type="button" onClick={() => run(() => backend.pause(null, true))}>{t("pause.tomorrow")}</button>
        <button type="button" disabled={until === null} onClick={() => run(() => backend.resume())}>{t("pause.resume")}</button>
      </div>
      {error && <ErrorNote error={error} />}
    </>
  );
}
