import { describe, expect, it } from "vitest";
import { $, $$, renderApp, text } from "./helpers";

describe("About this agent", () => {
  it("renders the effective policy: what, from where, to whom, how often, set by whom", async () => {
    const { root } = await renderApp({ tab: "about" });
    const summary = text($(root, '[data-testid="about-summary"]'));
    expect(summary).toContain("Never the text of prompts or replies.");
    expect(summary).toContain("Claude Code · Codex · Gemini CLI · GitHub Copilot · Cursor · Other API calls");
    expect(summary).toContain("only after you turn sharing on in Settings");
    expect(summary).toContain("Models are named by family only");
    expect(summary).toContain("Your organisation's server: https://tokentally.acme.example");
    expect(summary).toContain("Each sum covers a day; nothing shorter than a day is allowed.");
    expect(summary).toContain("History is kept on this computer for 400 days.");
    expect(text($(root, '[data-testid="about-contact"]'))).toContain("Developer Platform team");
    const help = $(root, '[data-testid="about-contact"] a') as HTMLAnchorElement;
    expect(help.getAttribute("href")).toBe("https://intranet.acme.example/tokentally");
  });

  it("marks locked keys and who set each key", async () => {
    const { root } = await renderApp({ tab: "about" });
    expect($(root, '[data-testid="locked-upload"]')).not.toBeNull();
    expect($(root, '[data-testid="locked-granularity"]')).toBeNull();
    const row = $$(root, '[data-testid="policy-keys"] tbody tr').find((r) => text(r.querySelector("th")) === "server_url")!;
    expect(text(row)).toContain("Your organisation (/etc/tokentally/policy.json)");
    expect(text(row)).toContain("Locked");
    const auto = $$(root, '[data-testid="policy-keys"] tbody tr').find((r) => text(r.querySelector("th")) === "autostart")!;
    expect(text(auto)).toContain("You");
  });

  it("shows the policy change log, newest first", async () => {
    const { root } = await renderApp({ tab: "about" });
    const items = $$(root, '[data-testid="changes"] > li');
    expect(items).toHaveLength(2);
    expect(text(items[0])).toContain("sanctioned_tools");
    expect(text(items[1])).toContain("upload: disabled → opt-in");
  });

  it("says nothing is uploaded when the policy disables it", async () => {
    const { root } = await renderApp({ scenario: "policy_disabled", tab: "about" });
    expect(text($(root, '[data-testid="about-uploaded"]'))).toBe("Nothing. Your organisation's policy turns uploads off.");
    expect(text(root)).toContain("Nobody: no server is set.");
  });
});
