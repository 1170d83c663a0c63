// Small pieces shared by the views.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { BackendError } from "../backend/types";
import { useI18n } from "../i18n";
import type { Resource } from "./data";

export function Section(props: { title: string; id: string; children: ComponentChildren; hint?: string; class?: string }) {
  return (
    <section class={`card ${props.class ?? ""}`} aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.hint && <p class="hint">{props.hint}</p>}
      {props.children}
    </section>
  );
}

export function Loading() {
  const { t } = useI18n();
  return <p class="muted" role="status">{t("common.loading")}</p>;
}

export function ErrorNote(props: { error: BackendError; retry?: () => void }) {
  const { t } = useI18n();
  return (
    <div class="note note-error" role="alert">
      <span>{t("common.error", { message: props.error.message })}</span>
      {props.retry && (
        <button type="button" class="link-button" onClick={props.retry}>{t("common.retry")}</button>
      )}
    </div>
  );
}

/** Renders a resource's data, or its first load / failure. */
export function Loaded<T>(props: { res: Resource<T>; children: (data: T) => ComponentChildren }) {
  const { res } = props;
  if (res.data === undefined) return res.error ? <ErrorNote error={res.error} retry={res.reload} /> : <Loading />;
  return (
    <>
      {res.error && <ErrorNote error={res.error} retry={res.reload} />}
      {props.children(res.data)}
    </>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty">{props.children}</p>;
}

/** A line of setup text with a button that copies it. */
export function CopyLine(props: { line: string }) {
  const { t } = useI18n();
  const [note, setNote] = useState("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.line);
      setNote(t("common.copied"));
    } catch {
      setNote(t("common.copy_failed"));
    }
  };
  return (
    <li class="copy-line">
      <code>{props.line}</code>
      <button type="button" onClick={copy} aria-label={t("setup.copy_line", { line: props.line })}>
        {t("common.copy")}
      </button>
      <span class="copy-note" role="status">{note}</span>
    </li>
  );
}
