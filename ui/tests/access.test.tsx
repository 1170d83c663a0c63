import { describe, expect, it } from "vitest";
import { formatDateTime } from "../src/lib/format";
import { $, $$, button, click, mockBackend, NOW, renderApp, settle, text, waitFor } from "./helpers";

const MIN = 60_000;
const section = (root: ParentNode) => $(root, 'section[aria-labelledby="access"]')!;
const rows = (root: ParentNode) => $$(root, '[data-testid="access-log"] tbody tr').map((tr) => $$(tr, "td").map(text));
const accessCalls = (log: { name: string }[]) => log.filter((c) => c.name === "get_access_log").length;

describe("Who read this device's data", () => {
  it("lists every read, newest first, with when, who and what", async () => {
    const { root, backend } = await renderApp({ tab: "shared" });
    const s = section(root);
    expect(text($(s, "h2"))).toBe("Who read this device's data");
    expect(text(s)).toContain("Your organisation's server records every time someone there reads this device's numbers, and shows that list to this device only.");
    // After the uploads section.
    const headings = $$(root, "section h2").map((h) => h.id);
    expect(headings.indexOf("access")).toBe(headings.indexOf("uploads") + 1);
    const table = $(s, '[data-testid="access-log"]')!;
    expect(table.getAttribute("aria-labelledby")).toBe("access");
    expect($$(table, 'thead th[scope="col"]').map(text)).toEqual(["When", "Who", "What they read"]);
    expect(rows(root)).toEqual([
      [formatDateTime(NOW - 47 * MIN, "en"), "people-analytics", "report by=team"],
      [formatDateTime(NOW - 192 * MIN, "en"), "finance-chargeback", "report by=tool"],
      [formatDateTime(NOW - 22 * 60 * MIN, "en"), "people-analytics", "report by=model"],
    ]);
    expect($(table, "time")!.getAttribute("datetime")).toBe(new Date(NOW - 47 * MIN).toISOString());
    expect(text($(s, '[data-testid="access-server"]'))).toBe("As recorded by tokentally.acme.example.");
    expect(accessCalls(backend.log)).toBe(1);
  });

  it("puts the newest read first whatever order the server sends", async () => {
    const backend = mockBackend();
    backend.accessEntries = [
      { at_ms: NOW - 5 * 24 * 60 * MIN, who: "security-audit", what: "report by=device" },
      { at_ms: NOW - 10 * MIN, who: "people-analytics", what: "report by=team" },
    ];
    const { root } = await renderApp({ backend, tab: "shared" });
    const r = rows(root);
    expect(r).toHaveLength(2);
    expect(r.map((cells) => cells[1])).toEqual(["people-analytics", "security-audit"]);
    expect(r[1][2]).toBe("report by=device");
  });

  it("says nobody has read anything yet when the list is empty", async () => {
    const backend = mockBackend();
    backend.accessEntries = [];
    const { root } = await renderApp({ backend, tab: "shared" });
    const s = section(root);
    expect($(s, '[data-testid="access-log"]')).toBeNull();
    expect(text($(s, ".empty"))).toBe("Nobody at your organisation has read this device's data yet.");
    expect(text($(s, '[data-testid="access-server"]'))).toBe("As recorded by tokentally.acme.example.");
  });

  it("says the list appears once the device is enrolled", async () => {
    // Nothing uploaded yet: not enrolled.
    const { root, backend } = await renderApp({ scenario: "no_consent", tab: "shared" });
    expect(backend.accessState).toBe("not_enrolled");
    const s = section(root);
    expect($(s, '[data-testid="access-log"]')).toBeNull();
    expect(text($(s, '[data-testid="access-note"]'))).toBe(
      "The list appears here once this device is enrolled with your organisation's server. It enrolls at its first upload.",
    );
  });

  it("says nobody can read anything when no server is set", async () => {
    const backend = mockBackend();
    backend.accessState = "no_server";
    const { root } = await renderApp({ backend, tab: "shared" });
    const s = section(root);
    expect($(s, '[data-testid="access-log"]')).toBeNull();
    expect(text($(s, '[data-testid="access-note"]'))).toBe("No server is set up for your organisation, so nobody there can read anything from this device.");
    expect($(s, '[data-testid="access-server"]')).toBeNull();
  });

  it("shows why when the server can't be reached, and tries again", async () => {
    const backend = mockBackend();
    backend.accessFailure = { code: "unreachable", message: "tokentally.acme.example could not be reached." };
    const { root } = await renderApp({ backend, tab: "shared" });
    const s = section(root);
    expect(text($(s, '[role="alert"]'))).toContain("tokentally.acme.example could not be reached.");
    expect(text(s)).toContain("Your organisation's server could not be reached, so the list can't be shown right now.");
    expect($(s, '[data-testid="access-log"]')).toBeNull();

    // Still down: the retry fails the same way.
    await click(button(s, "Try again"));
    expect(accessCalls(backend.log)).toBe(2);
    expect($(s, '[role="alert"]')).not.toBeNull();

    backend.accessFailure = null;
    await click(button(s, "Try again"));
    await waitFor(() => $(s, '[data-testid="access-log"]'));
    expect(accessCalls(backend.log)).toBe(3);
    expect($(s, '[role="alert"]')).toBeNull();
    expect(rows(root)).toHaveLength(3);
    expect(rows(root)[0][1]).toBe("people-analytics");
  });

  it("explains a refusal", async () => {
    const backend = mockBackend();
    backend.accessFailure = { code: "refused", message: "HTTP 403: device revoked" };
    const { root } = await renderApp({ backend, tab: "shared" });
    const s = section(root);
    expect(text($(s, '[role="alert"]'))).toContain("HTTP 403: device revoked");
    expect(text(s)).toContain("refused to show the list");
    expect(button(s, "Try again")).toBeTruthy();
  });

  it("doesn't ask the server again each time a call is counted", async () => {
    const { root, backend } = await renderApp({ tab: "shared" });
    const recent = () => backend.log.filter((c) => c.name === "get_recent_calls").length;
    const before = recent();
    backend.countCall("claude-code", "claude-sonnet-4-5", { input: 10, output: 200 });
    await waitFor(() => recent() > before); // the rest of the view did refresh
    await settle();
    expect(accessCalls(backend.log)).toBe(1);
    expect(rows(root)).toHaveLength(3);
  });

  it("reads in Chinese", async () => {
    const { root } = await renderApp({ tab: "shared", locale: "zh-CN" });
    const s = section(root);
    expect(text($(s, "h2"))).toBe("谁查看过本机的数据");
    expect(text(s)).toContain("贵组织的服务器会记录");
    expect($$(s, 'thead th[scope="col"]').map(text)).toEqual(["时间", "查看者", "查看的内容"]);
    expect(rows(root)[0]).toEqual([formatDateTime(NOW - 47 * MIN, "zh-CN"), "people-analytics", "report by=team"]);
    expect(text($(s, '[data-testid="access-server"]'))).toBe("记录来自 tokentally.acme.example。");
  });
});
