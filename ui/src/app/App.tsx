// The window: a header with today's count and the language, status notes,
// and the four sections as tabs.
import { useEffect, useMemo, useState } from "preact/hooks";
import type { Backend, Status } from "../backend/types";
import { I18nContext, initialLocale, LOCALES, makeI18n, saveLocale, useI18n, type Locale } from "../i18n";
import { formatCompact, formatWhen } from "../lib/format";
import { pausedIndefinitely } from "../lib/pause";
import { AboutView } from "../views/AboutView";
import { SettingsView } from "../views/SettingsView";
import { SharedView } from "../views/SharedView";
import { UsageView } from "../views/UsageView";
import { BackendContext, LiveContext, StatusContext, useLiveVersion, useResource } from "./data";
import { Tabs } from "./Tabs";

export type TabId = "usage" | "shared" | "settings" | "about";
const TAB_IDS: TabId[] = ["usage", "shared", "settings", "about"];

export function App(props: { backend: Backend; locale?: Locale; tab?: TabId }) {
  const [locale, setLocaleState] = useState<Locale>(props.locale ?? initialLocale());
  const i18n = useMemo(
    () => makeI18n(locale, (l) => {
      saveLocale(l);
      setLocaleState(l);
    }),
    [locale],
  );
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const live = useLiveVersion(props.backend);

  return (
    <BackendContext.Provider value={props.backend}>
      <LiveContext.Provider value={live}>
        <I18nContext.Provider value={i18n}>
          <Shell initialTab={props.tab ?? "usage"} />
        </I18nContext.Provider>
      </LiveContext.Provider>
    </BackendContext.Provider>
  );
}

function Shell(props: { initialTab: TabId }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [tab, setTab] = useState<TabId>(props.initialTab);
  const status = useResource((b) => b.getStatus());
  const tabs = TAB_IDS.map((id) => ({ id, label: t(`tab.${id}`) }));

  return (
    <StatusContext.Provider value={status.data}>
      <header class="app-header">
        <div class="brand">
          <h1>TokenTally</h1>
          <p class="tagline">{t("app.tagline")}</p>
        </div>
        {status.data && <TodayLine status={status.data} />}
        <label class="language">
          <span>{t("app.language")}</span>
          <select value={i18n.locale} onChange={(e) => i18n.setLocale((e.currentTarget as HTMLSelectElement).value as Locale)}>
            {LOCALES.map((l) => (
              <option key={l.id} value={l.id} lang={l.id}>{l.name}</option>
            ))}
          </select>
        </label>
      </header>
      {status.data && <StatusNotes status={status.data} />}
      <main>
        <Tabs tabs={tabs} selected={tab} onSelect={(id) => setTab(id as TabId)} label={t("app.sections")}>
          {tab === "usage" && <UsageView />}
          {tab === "shared" && <SharedView />}
          {tab === "settings" && <SettingsView />}
          {tab === "about" && <AboutView />}
        </Tabs>
      </main>
    </StatusContext.Provider>
  );
}

function TodayLine(props: { status: Status }) {
  const { t, tn, locale } = useI18n();
  const today = props.status.today;
  return (
    <p class="today" data-testid="today">
      <span class="today-label">{t("app.today")}</span>
      <span class="today-value">
        {t("app.today_value", { tokens: formatCompact(today.total, locale), calls: tn("common.calls", today.calls) })}
      </span>
    </p>
  );
}

function StatusNotes(props: { status: Status }) {
  const { t, locale } = useI18n();
  const s = props.status;
  const failed = s.tasks.filter((task) => (typeof task.state === "string" ? task.state : task.state.state) === "failed");
  const notes: string[] = [];
  if (s.paused_until_ms !== null) {
    notes.push(
      pausedIndefinitely(s.paused_until_ms)
        ? t("status.paused_resume")
        : t("status.paused_until", { time: formatWhen(s.paused_until_ms, Date.now(), locale) }),
    );
  }
  if (s.throttled) notes.push(t("status.throttled", { reason: s.throttled }));
  for (const task of failed) notes.push(t("status.task_failed", { name: task.name }));
  if (!notes.length) return null;
  return (
    <div class="status-notes" role="status">
      {notes.map((n) => <p key={n} class="note">{n}</p>)}
    </div>
  );
}
