// The relay's web dashboard end to end, in a real browser: Debian's Chromium (/usr/bin/chromium, never a
// downloaded browser) driven by playwright-core. Sign in with email and password, see the fleet's two nodes
// online, watch one go offline without a reload, create an API key and see it exactly once (it works with a
// client at /v1/models), revoke it (the next request fails), look at usage, the audit log and members; invite
// a viewer with a link shown once, who creates an account from it and sees no buttons that change anything.
// Every assertion is about what a person sees (ui/README.md's "Relay dashboard" test ids and names).
//
// The relay comes from startRelay() below: the real quorum-relay (its embedded page, two real nodes, an owner
// made with the CLI), or with QUORUM_DASHBOARD_RELAY=fake ui/dev/fake-relay.mjs (the dashboard contract in
// memory, serving ui/dist/relay.html: for working on the page without a build). Either returns this shape:
//   { url, email, password,            a relay serving the dashboard at url + "/", and an owner's credentials
//     nodes: [id, id],                 two nodes of the owner's only cluster, online
//     model,                           a model the first of them serves (for chat completions with a new key)
//     takeNodeOffline(id),             makes that node drop its link (the real one: stop the node's process)
//     signInLink(email),               → a one-time sign-in URL (the real one: `quorum-relay sign-in-link EMAIL`)
//     dropStreams(),                   optional: ends the dashboard's event streams (the real one: restart the
//                                      relay on the same port and data); the reconnect test skips without it
//     close() }
// Screenshots go to a temporary folder always (named in the test's diagnostics), and to
// docs/screenshots/relay-PAGE.png when QUORUM_WRITE_SCREENSHOTS=1.
// No sleeps: Playwright waits for elements; page.waitForFunction polls the page with a deadline.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DIST = path.join(repo, "ui/dist");
const WAIT_MS = 15000;

// QUORUM_DASHBOARD_RELAY=fake: the fake relay instead of the real quorum-relay.
const REAL = process.env.QUORUM_DASHBOARD_RELAY !== "fake";

const skip = !fs.existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing: install Debian's chromium package (bash scripts/install-deps.sh --test)`
  : !REAL && !fs.existsSync(path.join(DIST, "relay.html"))
    ? "ui/dist/relay.html is missing: cd ui && npm ci && npm run build"
    : false;

// ---- the relay ----

async function startRelay() {
  return REAL ? startRealRelay() : startFake();
}

// quorum-relay with two nodes of one cluster (relay_cluster.mjs), each with a scripted engine serving "echo",
// and an owner made with the CLI.
async function startRealRelay() {
  const { execFileSync } = await import("node:child_process");
  const { relayBin, startRelay: startRelayProcess } = await import("./harness.mjs");
  const { lastLine, relayCli, startRelayCluster } = await import("./relay_cluster.mjs");
  const cluster = await startRelayCluster({ nodes: 2, engineOptions: () => ({ offer: ["echo"] }) });
  const dataDir = cluster.relay.dataDir;
  const email = "alice@example.com";
  const password = "password123";
  execFileSync(relayBin(), ["user", "add", email, "--password-stdin", "--data", dataDir], { input: `${password}\n` });
  const clusterId = relayCli("cluster", "list", "--data", dataDir).trim().split("\n")[0].split(/\s+/)[0];
  relayCli("member", "add", "--cluster", clusterId, "--email", email, "--role", "owner", "--data", dataDir);
  return {
    url: cluster.relay.url,
    email,
    password,
    nodes: cluster.members.map((m) => m.id),
    model: "echo",
    takeNodeOffline: async (id) => {
      const m = cluster.members.find((x) => x.id === id);
      if (m.alive) {
        await m.node.stop();
        m.alive = false;
      }
    },
    signInLink: async (e) => lastLine(relayCli("sign-in-link", e, "--base-url", cluster.relay.url, "--data", dataDir)),
    // A restart on the same port and data: the streams end, the page reconnects (the nodes too).
    dropStreams: async () => {
      const { port } = cluster.relay;
      await cluster.relay.stop();
      cluster.relay = await startRelayProcess({ port, dataDir });
    },
    close: () => cluster.stop(),
  };
}

async function startFake() {
  const { startFakeRelay } = await import("../../ui/dev/fake-relay.mjs");
  const relay = await startFakeRelay({ port: 0, dist: DIST });
  const control = async (p) => {
    const r = await fetch(`${relay.url}${p}`, { method: "POST" });
    assert.equal(r.status, 200, `fake relay control ${p}`);
  };
  return {
    url: relay.url,
    email: "alice@example.com",
    password: "password123",
    nodes: ["n-studio-0001", "n-laptop-0002"],
    model: "qwen2.5-0.5b-instruct",
    takeNodeOffline: (id) => control(`/_fake/node/${encodeURIComponent(id)}/offline`),
    signInLink: async (email) => {
      const r = await fetch(`${relay.url}/_fake/sign-in-link`, { method: "POST", body: JSON.stringify({ email }) });
      return (await r.json()).url;
    },
    dropStreams: () => control("/_fake/drop-streams"),
    close: () => relay.close(),
  };
}

// ---- the browser ----

let browser;
let relay;
const shotsDir = skip ? null : fs.mkdtempSync(path.join(os.tmpdir(), "quorum-relay-dashboard-screenshots-"));

async function screenshot(t, page, name) {
  const file = path.join(shotsDir, `relay-${name}.png`);
  await page.screenshot({ path: file });
  if (process.env.QUORUM_WRITE_SCREENSHOTS === "1") {
    fs.mkdirSync(path.join(repo, "docs/screenshots"), { recursive: true });
    fs.copyFileSync(file, path.join(repo, "docs/screenshots", `relay-${name}.png`));
  }
  t.diagnostic(`screenshot: ${file}`);
}

async function until(page, fn, arg, what, timeout = WAIT_MS) {
  try {
    return await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (e) {
    const text = await page.evaluate(() => document.body.innerText).catch(() => "(page gone)");
    throw new Error(`timed out waiting for ${what}: ${e.message.split("\n")[0]}\n--- page ---\n${text.slice(0, 3000)}`);
  }
}

async function newPage(t) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  t.after(() => assert.deepEqual(errors, [], "errors in the page"));
  return page;
}

async function signIn(page) {
  await page.goto(`${relay.url}/`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: WAIT_MS });
  assert.match(page.url(), /#signin$/);
  await page.getByLabel("Email").fill(relay.email);
  await page.getByLabel("Password").fill(relay.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("header-user").waitFor({ timeout: WAIT_MS });
}

const onlineOf = (page) =>
  page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-testid="node-card"]')].map((c) => [c.dataset.nodeId, c.dataset.online])));

async function chat(key) {
  const r = await fetch(`${relay.url}/v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: relay.model, messages: [{ role: "user", content: "Say hi" }], max_tokens: 8 }),
  });
  await r.arrayBuffer();
  return r.status;
}

// The key as a user would try it from a terminal: curl, the HTTP status it got.
async function useKey(key) {
  const { execFile } = await import("node:child_process");
  const { promisify } = await import("node:util");
  const { stdout } = await promisify(execFile)("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
    `Authorization: Bearer ${key}`, `${relay.url}/v1/models`]);
  return Number(stdout);
}

describe("the relay dashboard in Chromium", { skip }, () => {
  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    relay = await startRelay();
  });

  after(async () => {
    await browser?.close();
    await relay?.close();
  });

  test("a spent sign-in link says so on the sign-in page", async (t) => {
    const page = await newPage(t);
    await page.goto(`${relay.url}/#signin?error=link`);
    const alert = page.getByRole("alert");
    await alert.waitFor({ timeout: WAIT_MS });
    assert.match(await alert.textContent(), /sign-in link was already used, has expired or is unknown/);
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByLabel("Email").fill(relay.email);
    await page.getByRole("button", { name: "Sign in" }).click();
    await until(page, () => /Wrong email or password|invalid/i.test(document.querySelector('[role="alert"]')?.textContent ?? ""), undefined, "the refusal");
    await screenshot(t, page, "signin");
  });

  test("a sign-in link signs in once; spent, it lands on sign-in saying why", async (t) => {
    const url = await relay.signInLink(relay.email);
    const page = await newPage(t);
    await page.goto(url);
    await page.getByTestId("header-user").waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId("header-user").textContent(), relay.email);
    const again = await newPage(t);
    await again.goto(url);
    await again.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: WAIT_MS });
    assert.match(again.url(), /#signin\?error=link$/);
    assert.match(await again.getByRole("alert").textContent(), /sign-in link was already used/);
  });

  test("sign in, the fleet live, a key shown once, used, revoked", async (t) => {
    const page = await newPage(t);
    await signIn(page);
    // One cluster: the picker goes straight to its fleet.
    await until(page, (ids) => ids.every((id) => document.querySelector(`[data-testid="node-card"][data-node-id="${id}"][data-online="true"]`)),
      relay.nodes, "both nodes online");
    assert.match(page.url(), /#\/c\/[^/]+\/fleet$/);
    assert.equal(await page.getByTestId("connection-banner").count(), 0);
    await screenshot(t, page, "fleet");

    // A node goes offline: its card changes without a reload.
    const [, leaving] = relay.nodes;
    await page.evaluate(() => { window.__sameDocument = true; });
    await relay.takeNodeOffline(leaving);
    await until(page, (id) => document.querySelector(`[data-testid="node-card"][data-node-id="${id}"]`)?.dataset.online === "false",
      leaving, "the node shown offline");
    const card = page.locator(`[data-testid="node-card"][data-node-id="${leaving}"]`);
    assert.match(await card.getByTestId("node-since").textContent(), /^offline since /);
    assert.equal(await card.getByTestId("node-state").textContent(), "offline");
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload");
    const states = await onlineOf(page);
    assert.equal(states[relay.nodes[0]], "true");
    await screenshot(t, page, "fleet-offline");

    // Models across the cluster.
    await page.getByRole("link", { name: "Models" }).click();
    await page.getByTestId("model-row").first().waitFor({ timeout: WAIT_MS });
    await screenshot(t, page, "models");

    // A key: created, shown once, works; gone from the page once the dialog closes.
    await page.getByRole("link", { name: "Keys" }).click();
    const name = `browser-${Date.now()}`;
    await page.getByLabel("Key name").fill(name);
    await page.getByLabel("Requests per minute").fill("60");
    await page.getByRole("button", { name: "Create key" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor({ timeout: WAIT_MS });
    const key = await dialog.getByTestId("new-key").inputValue();
    assert.match(key, /^qk_/);
    assert.match(await dialog.getByRole("note").textContent(), /only time the key is shown/);
    await screenshot(t, page, "key-once");
    assert.equal(await useKey(key), 200, "the new key works");
    const REQUESTS = 3;
    for (let i = 0; i < REQUESTS; i++) assert.equal(await chat(key), 200, "a chat completion with the new key");
    await dialog.getByRole("button", { name: "Done" }).click();
    await dialog.waitFor({ state: "detached", timeout: WAIT_MS });
    const row = page.locator('[data-testid="key-row"]', { hasText: name });
    await row.waitFor({ timeout: WAIT_MS });
    assert.equal(await row.getByTestId("key-state").textContent(), "active");
    assert.equal(await page.evaluate((k) => document.documentElement.outerHTML.includes(k), key), false, "the key is not on the page any more");
    await page.reload();
    await row.waitFor({ timeout: WAIT_MS });
    assert.equal(await page.evaluate((k) => document.documentElement.outerHTML.includes(k), key), false, "nor after a reload");

    // Revoked after a confirmation: the next request with it fails.
    await page.getByRole("button", { name: `Revoke ${name}` }).click();
    await page.getByRole("button", { name: "Confirm revoke" }).click();
    await until(page, (n) => [...document.querySelectorAll('[data-testid="key-row"]')].find((r) => r.textContent.includes(n))
      ?.querySelector('[data-testid="key-state"]')?.textContent === "revoked", name, "the key shown revoked");
    assert.equal(await useKey(key), 401, "a revoked key is refused");
    await screenshot(t, page, "keys");

    // Usage charts carry their numbers as text; the audit log shows the key's story; members.
    await page.getByRole("link", { name: "Usage" }).click();
    const chart = page.getByTestId("usage-by-key").getByRole("img");
    await chart.waitFor({ timeout: WAIT_MS });
    // The chart counts the key's requests (the relay flushes usage every few seconds: waited for, not slept).
    await until(page, ({ n, count }) => {
      const label = document.querySelector('[data-testid="usage-by-key"] [role="img"]')?.getAttribute("aria-label") ?? "";
      return label.split(", ").some((part) => part.endsWith(`${n} ${count}`));
    }, { n: name, count: REQUESTS }, "the new key's requests in the usage chart", 20000);
    assert.match(await chart.getAttribute("aria-label"), /requests over \d+ days/);
    await screenshot(t, page, "usage");
    await page.getByRole("link", { name: "Audit log" }).click();
    await until(page, (n) => {
      const rows = [...document.querySelectorAll('[data-testid="audit-row"]')].map((r) => r.textContent);
      return rows.some((r) => r.includes("key.create") && r.includes(n)) && rows.some((r) => r.includes("key.revoke") && r.includes(n));
    }, name, "the key's creation and revocation in the audit log");
    await screenshot(t, page, "audit");
    await page.getByRole("link", { name: "Members" }).click();
    await page.getByTestId("member-row").first().waitFor({ timeout: WAIT_MS });
    await screenshot(t, page, "members");

    // Sign out: back to sign-in, and the session is gone.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: WAIT_MS });
    await page.goto(`${relay.url}/#/`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: WAIT_MS });
  });

  test("an invite link makes a new viewer, who sees no mutation buttons", async (t) => {
    const owner = await newPage(t);
    await signIn(owner);
    await owner.getByRole("link", { name: "Members" }).click();
    await owner.getByLabel("Invite as").selectOption("viewer");
    await owner.getByRole("button", { name: "Create invite link" }).click();
    const dialog = owner.getByRole("dialog");
    await dialog.waitFor({ timeout: WAIT_MS });
    const link = await dialog.getByTestId("invite-url").inputValue();
    assert.match(link, /#invite\/.+/);
    await screenshot(t, owner, "invite-once");
    await dialog.getByRole("button", { name: "Done" }).click();

    const email = `viewer-${Date.now()}@example.com`;
    const guest = await newPage(t);
    await guest.goto(link.replace(/^https?:\/\/[^/]+/, relay.url));
    await guest.getByLabel("Email").fill(email);
    await guest.getByLabel("New password").fill("a-long-password");
    await guest.getByRole("button", { name: "Create account and join" }).click();
    await guest.getByTestId("header-role").waitFor({ timeout: WAIT_MS });
    assert.equal(await guest.getByTestId("header-role").textContent(), "viewer");
    await guest.getByRole("link", { name: "Keys" }).click();
    await guest.getByTestId("key-row").first().waitFor({ timeout: WAIT_MS });
    assert.equal(await guest.getByRole("button", { name: /Create key|Revoke/ }).count(), 0);
    await guest.getByRole("link", { name: "Members" }).click();
    await guest.locator('[data-testid="member-row"]', { hasText: email }).waitFor({ timeout: WAIT_MS });
    assert.equal(await guest.getByRole("button", { name: /Remove|Create invite link/ }).count(), 0);
    assert.equal(await guest.getByRole("combobox").count(), 0);
    await screenshot(t, guest, "viewer-members");

    // The owner's page got the new member live.
    await owner.locator('[data-testid="member-row"]', { hasText: email }).waitFor({ timeout: WAIT_MS });
  });

  // Last: it takes the other node offline too.
  test("the event stream comes back after it drops, with the reconnecting banner meanwhile", async (t) => {
    if (!relay.dropStreams) return t.skip("this relay cannot drop its streams on demand");
    const page = await newPage(t);
    await signIn(page);
    await page.getByTestId("node-card").first().waitFor({ timeout: WAIT_MS });
    await page.evaluate(() => {
      window.__banner = [];
      new MutationObserver(() => {
        const b = document.querySelector('[data-testid="connection-banner"]');
        if (b && window.__banner.at(-1) !== b.dataset.state) window.__banner.push(b.dataset.state);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await relay.dropStreams();
    await until(page, () => window.__banner.includes("reconnecting") && !document.querySelector('[data-testid="connection-banner"]'),
      undefined, "the banner to come and go");
    // Live again: a node change arrives on the new stream.
    await relay.takeNodeOffline(relay.nodes[0]);
    await until(page, (id) => document.querySelector(`[data-testid="node-card"][data-node-id="${id}"]`)?.dataset.online === "false",
      relay.nodes[0], "the node shown offline on the new stream");
  });
});
