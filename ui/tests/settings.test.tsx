import { describe, expect, it, vi } from "vitest";
import { $, $$, button, choose, click, renderApp, text, waitFor } from "./helpers";

describe("Settings", () => {
  it("turns sharing on from now on by default, after a choice", async () => {
    const { root, backend } = await renderApp({ scenario: "no_consent", tab: "settings" });
    expect(text($(root, '[data-testid="consent-state"]'))).toBe("Sharing is off. Nothing is sent.");
    const toggle = $(root, 'input[role="switch"]') as HTMLInputElement;
    expect(toggle.closest("label")!.textContent).toContain("Share aggregated counts");
    await choose(toggle);
    const choice = $(root, '[data-testid="consent-choice"]')!;
    const radios = $$(choice, 'input[type="radio"]') as HTMLInputElement[];
    expect(radios.map((r) => r.checked)).toEqual([true, false]);
    expect(backend.log.some((c) => c.name === "set_upload")).toBe(false); // nothing before confirming
    await click(button(root, "Turn sharing on"));
    expect(backend.log.find((c) => c.name === "set_upload")!.args).toEqual([true, false]);
    await waitFor(() => text($(root, '[data-testid="consent-state"]')) === "Sharing is on.");
  });

  it("can include what was counted before, and turns off at once", async () => {
    const { root, backend } = await renderApp({ scenario: "no_consent", tab: "settings" });
    await choose($(root, 'input[role="switch"]'));
    await choose($$(root, '[data-testid="consent-choice"] input[type="radio"]')[1]);
    await click(button(root, "Turn sharing on"));
    expect(backend.log.find((c) => c.name === "set_upload")!.args).toEqual([true, true]);
    await waitFor(() => ($(root, 'input[role="switch"]') as HTMLInputElement).checked);
    await choose($(root, 'input[role="switch"]'));
    expect(backend.log.filter((c) => c.name === "set_upload").at(-1)!.args).toEqual([false, false]);
  });

  it("explains, without a switch, when the policy disables uploads", async () => {
    const { root } = await renderApp({ scenario: "policy_disabled", tab: "settings" });
    expect(text($(root, '[data-testid="consent-disabled"]'))).toContain("does not allow uploads");
    expect($(root, 'input[role="switch"]')).toBeNull();
  });

  it("disables periods finer than the policy's floor", async () => {
    const { root, backend } = await renderApp({ tab: "settings" });
    const radios = $$(root, '[data-testid="granularity"] input') as HTMLInputElement[];
    expect(radios.map((r) => [r.value, r.disabled, r.checked])).toEqual([["hour", true, false], ["day", false, true], ["week", false, false]]);
    expect(text(root)).toContain("Your organisation's policy allows nothing finer than a day.");
    await choose(radios[2]);
    expect(backend.log.find((c) => c.name === "set_granularity")!.args).toEqual(["week"]);
    await waitFor(() => ($$(root, '[data-testid="granularity"] input')[2] as HTMLInputElement).checked);
  });

  it("pauses for an hour or until tomorrow, and resumes", async () => {
    const { root, backend } = await renderApp({ tab: "settings" });
    expect(text($(root, '[data-testid="pause-state"]'))).toBe("Counting.");
    expect(button(root, "Resume counting").disabled).toBe(true);
    await click(button(root, "Pause for 1 hour"));
    expect(backend.log.find((c) => c.name === "pause")!.args).toEqual([60, false]);
    await waitFor(() => text($(root, '[data-testid="pause-state"]')).startsWith("Counting is paused until"));
    await click(button(root, "Pause until tomorrow"));
    expect(backend.log.filter((c) => c.name === "pause").at(-1)!.args).toEqual([null, true]);
    await click(button(root, "Resume counting"));
    await waitFor(() => text($(root, '[data-testid="pause-state"]')) === "Counting.");
  });

  it("shows each tool's status and problems", async () => {
    const { root } = await renderApp({ tab: "settings" });
    const rows = $$(root, '[data-testid="tools"] tbody tr');
    expect(rows).toHaveLength(6);
    const cursor = rows.find((r) => text(r.querySelector("th")) === "Cursor")!;
    expect(text(cursor)).toContain("Found");
    expect(text(cursor)).toContain("database was locked");
    const copilot = rows.find((r) => text(r.querySelector("th")) === "GitHub Copilot")!;
    expect(text(copilot)).toContain("telemetry");
  });

  it("says when no tools are found", async () => {
    const { root } = await renderApp({ scenario: "no_tools", tab: "settings" });
    expect(text(root)).toContain("No AI tools found yet.");
    expect($(root, '[data-testid="tools"]')).toBeNull();
  });

  it("copies a setup line to the clipboard", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const { root } = await renderApp({ tab: "settings" });
    const copy = $$(root, '[data-testid="setup-proxy"] button')[0];
    expect(copy.getAttribute("aria-label")).toBe("Copy: export ANTHROPIC_BASE_URL=http://127.0.0.1:47310/anthropic");
    await click(copy);
    expect(writeText).toHaveBeenCalledWith("export ANTHROPIC_BASE_URL=http://127.0.0.1:47310/anthropic");
    expect(text(copy.parentElement!)).toContain("Copied.");
  });

  it("offers the export as a file to download", async () => {
    const create = vi.spyOn(URL, "createObjectURL").mockReturnValue("blob:tokentally-export");
    const { root, backend } = await renderApp({ tab: "settings" });
    await click(button(root, "Export as CSV"));
    const link = (await waitFor(() => $(root, '[data-testid="download"]'))) as HTMLAnchorElement;
    expect(link.getAttribute("href")).toBe("blob:tokentally-export");
    expect(link.getAttribute("download")).toMatch(/^tokentally-\d{4}-\d\d-\d\d\.csv$/);
    const blob = create.mock.calls[0][0] as Blob;
    expect(blob.type).toBe("text/csv");
    expect(await blob.text()).toBe(await backend.exportData("csv"));
    create.mockRestore();
  });

  it("deletes only after a confirmation step", async () => {
    const { root, backend } = await renderApp({ tab: "settings" });
    const calls = backend.calls.length;
    await click(button(root, "Delete my data…"));
    expect(backend.log.some((c) => c.name === "delete_data")).toBe(false);
    expect(text($(root, '[data-testid="delete-confirm"]'))).toContain("It can't be undone.");
    await click(button(root, "Cancel"));
    expect($(root, '[data-testid="delete-confirm"]')).toBeNull();
    await click(button(root, "Delete my data…"));
    await click(button(root, "Delete everything"));
    expect(backend.log.filter((c) => c.name === "delete_data")).toHaveLength(1);
    const done = text(await waitFor(() => $(root, '[data-testid="deleted"]')));
    expect(done).toContain(`Deleted ${calls.toLocaleString("en-US")} calls and 2 receipts on this computer.`);
    expect(done).toMatch(/The server deleted \d+ buckets\./);
  });

  it("shows the agent's error when a command fails", async () => {
    const { root, backend } = await renderApp({ tab: "settings" });
    backend.failNext.add("pause");
    await click(button(root, "Pause for 1 hour"));
    expect(text($(root, '[role="alert"]'))).toContain("The agent didn't answer: The agent did not answer pause.");
  });
});
