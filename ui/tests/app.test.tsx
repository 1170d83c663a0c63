import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import { STORAGE_KEY } from "../src/i18n";
import { $, $$, click, renderApp, settle, tab, text } from "./helpers";

const TABS = ["usage", "shared", "settings", "about"] as const;
const COMPETITIVE = /\brank|leaderboard|排名|排行|名次/i;

async function key(el: Element, k: string) {
  await act(async () => {
    el.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
  });
  await settle();
}

describe("the window", () => {
  it("has a tablist moved through with the arrow keys", async () => {
    const { root } = await renderApp();
    const tabs = $$(root, '[role="tab"]');
    expect($(root, '[role="tablist"]')!.getAttribute("aria-label")).toBe("Sections");
    expect(tabs.map((t) => text(t))).toEqual(["My usage", "What's shared", "Settings", "About this agent"]);
    expect(tabs.map((t) => t.tabIndex)).toEqual([0, -1, -1, -1]);
    await key(tabs[0], "ArrowRight");
    expect(document.activeElement).toBe(tab(root, "What's shared"));
    expect(tab(root, "What's shared").getAttribute("aria-selected")).toBe("true");
    expect($(root, '[role="tabpanel"]')!.getAttribute("aria-labelledby")).toBe("tab-shared");
    await key(tab(root, "What's shared"), "ArrowLeft");
    await key(tab(root, "My usage"), "ArrowLeft"); // wraps to the end
    expect(tab(root, "About this agent").getAttribute("aria-selected")).toBe("true");
    await key(tab(root, "About this agent"), "Home");
    expect(tab(root, "My usage").getAttribute("aria-selected")).toBe("true");
  });

  it("switches language, and keeps the choice", async () => {
    const { root } = await renderApp();
    const select = $(root, ".language select") as HTMLSelectElement;
    expect(text(select.closest("label"))).toContain("Language");
    await act(async () => {
      select.value = "zh-CN";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await settle();
    expect($$(root, '[role="tab"]').map((t) => text(t))).toEqual(["我的用量", "共享内容", "设置", "关于本代理"]);
    expect(localStorage.getItem(STORAGE_KEY)).toBe("zh-CN");
    expect(document.documentElement.lang).toBe("zh-CN");
  });

  it("labels every control", async () => {
    for (const t of TABS) {
      const { root, unmount } = await renderApp({ tab: t });
      for (const input of $$(root, "input, select")) {
        const labelled = input.closest("label") || input.getAttribute("aria-label") || input.getAttribute("aria-labelledby");
        expect(labelled, `${t}: ${input.outerHTML}`).toBeTruthy();
      }
      for (const b of $$(root, "button")) expect(text(b) || b.getAttribute("aria-label"), `${t}: ${b.outerHTML}`).toBeTruthy();
      unmount();
    }
  });

  for (const locale of ["en", "zh-CN"] as const) {
    it(`ranks nobody and shows no leaderboard (${locale})`, async () => {
      for (const t of TABS) {
        const { root, unmount } = await renderApp({ tab: t, locale });
        expect(root.textContent).not.toMatch(COMPETITIVE);
        unmount();
      }
    });
  }

  it("holds no ranking or leaderboard anywhere in the UI's source", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(ts|tsx|css)$/.test(f)) files.push(p);
      }
    };
    walk(join(__dirname, "../src"));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(readFileSync(f, "utf8"), f).not.toMatch(COMPETITIVE);
  });

  it("shows today's count in the header", async () => {
    const { root, backend } = await renderApp();
    const today = (await backend.getStatus()).today;
    expect(text($(root, '[data-testid="today"]'))).toContain(`${today.calls} calls`);
    await click(tab(root, "Settings"));
    expect($(root, '[data-testid="today"]')).not.toBeNull();
  });
});
