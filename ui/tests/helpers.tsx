// Rendering the app against the mock backend and waiting for it to settle.
import { render } from "preact";
import { act } from "preact/test-utils";
import { App, type TabId } from "../src/app/App";
import { MockBackend, type Scenario } from "../src/backend/mock";
import type { Locale } from "../src/i18n";

/** 2026-12-01 15:30 local time: a Tuesday afternoon. */
export const NOW = new Date(2026, 11, 1, 15, 30).getTime();

export function mockBackend(scenario: Scenario = "default"): MockBackend {
  return new MockBackend({ scenario, now: NOW });
}

export interface Rendered {
  root: HTMLElement;
  backend: MockBackend;
  unmount: () => void;
}

export async function renderApp(opts: { scenario?: Scenario; backend?: MockBackend; tab?: TabId; locale?: Locale } = {}): Promise<Rendered> {
  const backend = opts.backend ?? mockBackend(opts.scenario);
  const root = document.createElement("div");
  document.body.appendChild(root);
  await act(async () => {
    render(<App backend={backend} tab={opts.tab} locale={opts.locale ?? "en"} />, root);
  });
  await settle();
  return { root, backend, unmount: () => render(null, root) };
}

/** Lets pending promises and effects run. */
export async function settle(ms = 0) {
  for (let i = 0; i < 5; i++) {
    await act(async () => {
      await new Promise((r) => setTimeout(r, ms));
    });
  }
}

export async function waitFor<T>(check: () => T | null | undefined | false, timeoutMs = 1000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error("waitFor: timed out");
    await act(async () => {
      await new Promise((r) => setTimeout(r, 10));
    });
  }
}

export async function click(el: Element | null | undefined) {
  if (!el) throw new Error("click: no element");
  await act(async () => {
    (el as HTMLElement).click();
  });
  await settle();
}

export async function choose(el: Element | null | undefined) {
  if (!el) throw new Error("choose: no element");
  await act(async () => {
    (el as HTMLInputElement).click();
  });
  await settle();
}

export const $ = (root: ParentNode, sel: string) => root.querySelector(sel) as HTMLElement | null;
export const $$ = (root: ParentNode, sel: string) => [...root.querySelectorAll(sel)] as HTMLElement[];
export const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();

export function button(root: ParentNode, label: string | RegExp): HTMLButtonElement {
  const b = $$(root, "button").find((x) => (typeof label === "string" ? text(x) === label : label.test(text(x))));
  if (!b) throw new Error(`no button ${label}`);
  return b as HTMLButtonElement;
}

export function tab(root: ParentNode, name: string): HTMLElement {
  const t = $$(root, '[role="tab"]').find((x) => text(x) === name);
  if (!t) throw new Error(`no tab ${name}`);
  return t;
}
