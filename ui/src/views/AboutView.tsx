// About this agent: the effective policy in plain words, then key by key.
import type { About, Period, PolicyKey } from "../backend/types";
import { Empty, Loaded, Section } from "../app/common";
import { useResource } from "../app/data";
import { useI18n, type I18n } from "../i18n";
import { formatDateTime, formatValue } from "../lib/format";
import { floorOf, policyValue, uploadsAllowed } from "../lib/policy";
import { toolName } from "../lib/tools";

export function AboutView() {
  const about = useResource((b) => b.getAbout());
  return <div class="view"><Loaded res={about}>{(a) => <AboutBody about={a} />}</Loaded></div>;
}

function origin(k: PolicyKey, i18n: I18n): string {
  return i18n.t(`origin.${k.origin.kind}`) + (k.origin.kind === "managed" && k.origin.name ? ` (${k.origin.name})` : "");
}

function AboutBody(props: { about: About }) {
  const i18n = useI18n();
  const { t, locale } = i18n;
  const a = props.about;
  const tools = policyValue<string[]>(a, "sanctioned_tools", []);
  const server = policyValue<string | null>(a, "server_url", null);
  const otlp = policyValue<string | null>(a, "otlp_url", null);
  const floor = floorOf(a);
  const granularity = policyValue<Period>(a, "granularity", floor);
  const contact = policyValue<string | null>(a, "contact", null);
  const help = policyValue<string | null>(a, "help_url", null);
  const allowed = uploadsAllowed(a);

  return (
    <>
      <p class="muted">{t("about.intro")}</p>
      <dl class="summary" data-testid="about-summary">
        <dt>{t("about.collected")}</dt>
        <dd>{t("about.collected_text")}</dd>
        <dt>{t("about.tools")}</dt>
        <dd>{tools.length ? tools.map((x) => toolName(x, i18n)).join(" · ") : t("about.tools_none")}</dd>
        <dt>{t("about.uploaded")}</dt>
        <dd data-testid="about-uploaded">
          {allowed ? t("about.uploaded_optin") : t("about.uploaded_disabled")}
          {allowed && <> {policyValue<string>(a, "model_names", "family") === "full" ? t("about.model_full") : t("about.model_family")}</>}
        </dd>
        <dt>{t("about.to_whom")}</dt>
        <dd>
          {!allowed || (!server && !otlp) ? t("about.nobody") : (
            <>
              {server && <span class="block">{t("about.server", { url: server })}</span>}
              {otlp && <span class="block">{t("about.otlp", { url: otlp })}</span>}
            </>
          )}
        </dd>
        <dt>{t("about.granularity")}</dt>
        <dd>
          {t("about.granularity_text", { period: t(`period.${granularity}.lower`), floor: t(`period.${floor}.lower`) })}{" "}
          {t("about.retention", { days: policyValue<number>(a, "retention_days", 400) })}
        </dd>
        <dt>{t("about.contact")}</dt>
        <dd data-testid="about-contact">
          {contact ?? t("about.no_contact")}
          {help && <> · <a href={help} target="_blank" rel="noopener noreferrer">{t("about.help")}</a></>}
        </dd>
      </dl>

      <Section id="set-by" title={t("about.set_by")} hint={a.managed_source ? t("about.managed_source", { source: a.managed_source }) : t("about.no_managed")}>
        <div class="table-scroll">
          <table data-testid="policy-keys">
            <thead>
              <tr>
                <th scope="col">{t("about.col.key")}</th>
                <th scope="col">{t("about.col.value")}</th>
                <th scope="col">{t("about.col.set_by")}</th>
                <th scope="col">{t("about.col.since")}</th>
              </tr>
            </thead>
            <tbody>
              {a.keys.map((k) => (
                <tr key={k.key}>
                  <th scope="row"><code>{k.key}</code></th>
                  <td class="value">{formatValue(k.value)}</td>
                  <td>
                    {origin(k, i18n)}
                    {k.locked && <span class="badge locked" data-testid={`locked-${k.key}`}><span aria-hidden="true">🔒 </span>{t("about.locked")}</span>}
                  </td>
                  <td>{a.since_ms[k.key] !== undefined ? formatDateTime(a.since_ms[k.key], locale) : t("common.none")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>

      {a.problems.length > 0 && (
        <Section id="problems" title={t("about.problems")} hint={t("about.problems_note")}>
          <ul>{a.problems.map((p, i) => <li key={i}><code>{p.key}</code> ({p.source}): {p.message}</li>)}</ul>
        </Section>
      )}

      <Section id="changes" title={t("about.changes")}>
        {a.changes.length === 0 ? <Empty>{t("about.no_changes")}</Empty> : (
          <ol class="changes" data-testid="changes">
            {[...a.changes].sort((x, y) => y.at_ms - x.at_ms).map((c) => (
              <li key={c.at_ms}>
                <time dateTime={new Date(c.at_ms).toISOString()}>{formatDateTime(c.at_ms, locale)}</time>
                <ul>
                  {c.changes.map((ch) => (
                    <li key={ch.key}>
                      {t("about.change", { key: ch.key, from: formatValue(ch.from), to: formatValue(ch.to) })}{" "}
                      <span class="muted">{t("about.change_by", { who: ch.set_by })}</span>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
        )}
      </Section>
    </>
  );
}
