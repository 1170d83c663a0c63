// End-to-end test of the real app: its webview under Xvfb, driven through
// tauri-driver and WebKitWebDriver (plain WebDriver over HTTP, no client
// library). Run by tests/app-e2e/run.sh inside Xvfb and a D-Bus session.
//
// A home with Claude Code logs written today (their prompts and replies
// carry a canary); the window shows the exact totals; a line appended to
// the log updates the view; turning uploads on in Settings is seen by the
// CLI; the preview pane shows the bytes `tokentally preview --json`
// prints; no canary is ever in the DOM. Screenshots of each view are
// saved in $TOKENTALLY_SHOTS.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const APP = process.env.TOKENTALLY_APP;
const CLI = process.env.TOKENTALLY_CLI;
const SHOTS = process.env.TOKENTALLY_SHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), "tt-shots-"));
const PORT = 4460;
const CANARY = "TTCANARY";
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "tt-app-"));
const home = path.join(root, "home");
const data = path.join(root, "data");
const log = path.join(home, ".claude/projects/e2e/s.jsonl");
const policy = path.join(root, "policy.json");
const env = {
  ...process.env,
  HOME: home,
  TOKENTALLY_DATA_DIR: data,
  TOKENTALLY_POLICY: policy,
  NO_AT_BRIDGE: "1",
};

function call(id, output) {
  const at = new Date(Date.now() - 60_000).toISOString();
  return JSON.stringify({
    type: "assistant", sessionId: "e2e", timestamp: at, requestId: `req_${id}`,
    message: {
      id, model: "claude-sonnet-4-5-20250929",
      content: [{ type: "text", text: `${CANARY}-reply-${id} the secret plan` }],
      usage: { input_tokens: 7, cache_read_input_tokens: 100, cache_creation_input_tokens: 10, output_tokens: output },
    },
  }) + "\n";
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, "127.0.0.1", () => { s.end(); r(true); });
      s.on("error", () => r(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`port ${port} never opened`);
}

async function wd(method, url, body) {
  const res = await fetch(`http://127.0.0.1:${PORT}${url}`, {
    signal: AbortSignal.timeout(30_000),
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${url}: ${JSON.stringify(json.value)}`);
  return json.value;
}

async function until(what, f, ms = 20_000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await f();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}: ${last}`);
}

function cli(...args) {
  return execFileSync(CLI, args, { env, encoding: "utf8" });
}

test("the app shows exact totals live, the preview's bytes, consent, and never a canary", async () => {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.writeFileSync(log, call("m1", 1000) + call("m2", 2000) + call("m3", 3000));
  fs.writeFileSync(policy, JSON.stringify({ upload: "opt-in", server_url: "http://127.0.0.1:9", timezone: "UTC" }));

  let sessionUrl;
  const driver = spawn("tauri-driver", ["--port", String(PORT), "--native-port", String(PORT + 1)], { env, stdio: "inherit" });
  try {
    await waitPort(PORT);
    const started = Date.now();
    const session = await wd("POST", "/session", {
      capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application: APP, args: ["--open"] } } },
    });
    const s = `/session/${session.sessionId}`;
    sessionUrl = s;
    const find = async (css) => (await wd("POST", `${s}/element`, { using: "css selector", value: css }))[ELEMENT];
    const text = async (css) => wd("GET", `${s}/element/${await until(css, () => find(css), 10_000)}/text`);
    // Views load their data asynchronously: wait for what is clicked.
    const click = async (css) => wd("POST", `${s}/element/${await until(css, () => find(css), 10_000)}/click`, {});
    const source = async () => wd("GET", `${s}/source`);
    const shot = async (name) => fs.writeFileSync(path.join(SHOTS, `${name}.png`), Buffer.from(await wd("GET", `${s}/screenshot`), "base64"));
    const noCanary = async (where) => assert.ok(!(await source()).includes(CANARY), `canary in the DOM (${where})`);

    // 3 calls: 3 x (7 + 100 + 10) + 6,000 output = 6,351 tokens.
    await until("the window", () => find("#tab-usage"));
    await click("#tab-usage");
    await until("3 calls shown", async () => (await text("[data-testid=stat-calls]")).includes("3"));
    console.log(`window with totals ${Date.now() - started} ms after the session was asked for`);
    assert.ok((await source()).includes("6,351"), "exact total tokens");
    await shot("usage");
    await noCanary("usage");

    const appended = Date.now();
    fs.appendFileSync(log, call("m4", 4000));
    await until("the appended call", async () => (await text("[data-testid=stat-calls]")).includes("4"), 10_000);
    console.log(`log line to view: ${Date.now() - appended} ms`);
    assert.ok((await source()).includes("10,468"), "total after the new call");

    await click("#tab-shared");
    await until("recent calls", () => find("[data-testid=call-list] button"));
    await click("[data-testid=call-list] button");
    const record = await until("the redacted record", () => text("[data-testid=record]"));
    assert.match(record, /«text, \d+ characters»/);
    assert.ok(record.includes("claude-sonnet-4-5-20250929"));
    await shot("shared-before-consent");
    await noCanary("shared");

    await click("#tab-settings");
    await click("[data-testid=consent] input[role=switch]");
    await until("the consent choice", () => find("[data-testid=consent-choice]"));
    await click("[data-testid=consent-choice] input[type=radio]:not(:checked)");
    await click("[data-testid=consent-choice] button.primary");
    const status = await until("consent in the agent's ledger", () => {
      const st = JSON.parse(cli("upload", "status", "--json"));
      return st.on ? st : null;
    });
    assert.equal(status.consent.at(-1).from_ms, null, "include what was counted before");
    await shot("settings");
    await noCanary("settings");

    await click("#tab-shared");
    await until("recent calls", () => find("[data-testid=call-list] button"));
    await click("[data-testid=call-list] button");
    const shown = await until("payload bytes", () => text("[data-testid=payload-bytes]"));
    const preview = cli("preview", "--json").trim();
    assert.equal(shown, preview, "the pane shows the preview's bytes");
    assert.ok(!preview.includes(CANARY));
    await shot("shared");
    // Who read this device's data: not enrolled, so the server was not asked.
    const access = await until("the access log section", () => text("[data-testid=access-note]"));
    assert.match(access, /once this device is enrolled/);

    await click("#tab-about");
    await until("the policy", async () => (await source()).includes("127.0.0.1:9"));
    await shot("about");
    await noCanary("about");
  } finally {
    if (sessionUrl) await wd("DELETE", sessionUrl).catch(() => {});
    driver.kill();
  }
});
