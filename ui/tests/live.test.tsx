import { afterEach, describe, expect, it, vi } from "vitest";
import { formatCompact, formatNumber } from "../src/lib/format";
import { $, mockBackend, renderApp, settle, text, waitFor } from "./helpers";

afterEach(() => vi.restoreAllMocks());

describe("live update", () => {
  it("shows a new call within a second of the call_counted event, without polling", async () => {
    const setInterval = vi.spyOn(window, "setInterval");
    const backend = mockBackend();
    const { root } = await renderApp({ backend });
    const before = await backend.getUsage(7);
    const todayBefore = (await backend.getStatus()).today;
    expect(text($(root, '[data-testid="stat-calls"] .stat-value'))).toBe(formatNumber(before.totals.calls, "en"));

    const started = Date.now();
    backend.countCall("claude-code", "claude-sonnet-4-5", { input: 10, output: 500, cache_read: 2_000_000 });
    await waitFor(() => text($(root, '[data-testid="stat-calls"] .stat-value')) === formatNumber(before.totals.calls + 1, "en"));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(text($(root, '[data-testid="stat-total"] .stat-value'))).toBe(formatCompact(before.totals.total + 2_000_510, "en"));
    expect(text($(root, '[data-testid="today"]'))).toContain(formatNumber(todayBefore.calls + 1, "en") + " calls");
    expect(setInterval).not.toHaveBeenCalled();
  });

  it("debounces a burst of events into one re-fetch", async () => {
    const backend = mockBackend();
    await renderApp({ backend });
    const statusCalls = () => backend.log.filter((c) => c.name === "get_status").length;
    const before = statusCalls();
    for (let i = 0; i < 5; i++) backend.countCall("codex", "gpt-5-codex", { input: 100, output: 10 });
    await settle(350);
    expect(statusCalls()).toBe(before + 1);
  });

  it("re-fetches after a pause from elsewhere (pause_changed)", async () => {
    const backend = mockBackend();
    const { root } = await renderApp({ backend });
    expect(text(root)).not.toContain("Counting is paused");
    await backend.pause(null, false);
    await waitFor(() => text(root).includes("Counting is paused until you resume it."));
  });

  it("stops listening when the window goes away", async () => {
    const backend = mockBackend();
    const { unmount } = await renderApp({ backend });
    await settle();
    expect(backend.listenerCount()).toBe(1);
    unmount();
    expect(backend.listenerCount()).toBe(0);
  });
});
