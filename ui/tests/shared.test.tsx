import { describe, expect, it } from "vitest";
import { $, $$, click, mockBackend, renderApp, text, waitFor } from "./helpers";

describe("What's shared", () => {
  it("follows a call from the redacted record to the next upload's exact bytes", async () => {
    const backend = mockBackend();
    backend.countCall("claude-code", "claude-sonnet-4-5", { input: 12, output: 611, cache_read: 48_211, cache_write: 3_401 });
    const preview = await backend.getPreview();
    const { root } = await renderApp({ backend, tab: "shared" });
    expect(text($(root, '[data-testid="sharing-state"]'))).toContain("Sharing is on. Only the sums shown below are sent, to tokentally.acme.example.");
    const list = $$(root, '[data-testid="call-list"] button');
    expect(list.length).toBe(50);
    expect(list[0].getAttribute("aria-pressed")).toBe("true");
    const record = text($(root, '[data-testid="record"]'));
    expect(record).toContain('"model": "claude-sonnet-4-5"');
    expect(record).toMatch(/"text": "«text, [\d,]+ characters»"/);
    expect($$(root, '[data-testid="record"] mark').length).toBeGreaterThan(2);
    expect(text($(root, '[data-testid="event"]'))).toContain("48,211");
    expect(text($(root, '[data-testid="bucket"]'))).toContain("claude-sonnet"); // the family, as uploaded
    expect(text($(root, '[data-testid="in-payload"]'))).toBe("This call's bucket is in the next upload.");
    // Verbatim: the <pre> holds the preview bytes exactly, with its SHA-256.
    expect($(root, '[data-testid="payload-bytes"]')!.textContent).toBe(preview.payloads[0].bytes);
    expect($(root, '[data-testid="payload-sha"]')!.textContent).toBe(preview.payloads[0].sha256);
    expect(preview.payloads[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("shows a note instead of a record for a database-backed tool", async () => {
    const { root } = await renderApp({ tab: "shared" });
    const cursor = $$(root, '[data-testid="call-list"] button').find((b) => text(b).includes("Cursor"))!;
    await click(cursor);
    expect(cursor.getAttribute("aria-pressed")).toBe("true");
    expect($(root, '[data-testid="record"]')).toBeNull();
    expect(text($(root, '[data-testid="no-record"]'))).toContain("no log line to show");
    expect(text($(root, '[data-testid="event"]'))).toContain("Cursor");
  });

  it("lists the uploads and fetches a payload only when asked", async () => {
    const backend = mockBackend();
    const { root } = await renderApp({ backend, tab: "shared" });
    const rows = $$(root, '[data-testid="receipts"] tbody tr');
    expect(rows).toHaveLength(2);
    expect(text(rows[0])).toContain("Received · HTTP 200 · receipt ack-3f9c5a08");
    expect(backend.log.some((c) => c.name === "get_upload_payload")).toBe(false);
    const show = rows[0].querySelector("button")!;
    expect(show.getAttribute("aria-expanded")).toBe("false");
    await click(show);
    expect(show.getAttribute("aria-expanded")).toBe("true");
    const bytes = await waitFor(() => $(root, '[data-testid="receipt-bytes-2"]'));
    expect(bytes.textContent).toBe(await backend.getUploadPayload(2));
    expect(JSON.parse(bytes.textContent!).schema).toBe("tokentally.usage/1");
  });

  it("says plainly that nothing is sent when sharing is off", async () => {
    const { root } = await renderApp({ scenario: "no_consent", tab: "shared" });
    expect(text($(root, '[data-testid="sharing-state"]'))).toBe("Sharing is off. Nothing is sent from this computer.");
    expect(text($(root, '[data-testid="payload-none"]'))).toBe("Nothing would be sent.");
    expect(text(root)).toContain("Nothing has been uploaded yet.");
  });

  it("says the policy turns uploads off", async () => {
    const { root } = await renderApp({ scenario: "policy_disabled", tab: "shared" });
    expect(text($(root, '[data-testid="sharing-state"]'))).toContain("Your organisation's policy turns uploads off. Nothing is sent from this computer.");
  });

  it("has empty states for no calls and no uploads", async () => {
    const { root } = await renderApp({ scenario: "empty", tab: "shared" });
    expect(text(root)).toContain("No calls counted yet. Once you use an AI tool, its calls appear here.");
    expect(text(root)).toContain("Nothing has been uploaded yet.");
    expect($(root, '[data-testid="call-detail"]')).toBeNull();
  });
});
