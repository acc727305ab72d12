// The node's local UI end to end, in a real browser: Debian's Chromium (/usr/bin/chromium, never a downloaded
// browser) driven by playwright-core, against real nodes on loopback with real engines: the embedded llama.cpp
// engine on the tiny generated models, and the scripted engine (scripted_engine.mjs) where a test needs an
// engine that answers on demand (reasoning in llama-server's shape, a generation that lasts a minute). Every
// assertion is about what a person sees on the page (docs/ui-api.md, ui/README.md's test ids and names):
//  - Nodes: a second node of the cluster appears, then goes, without a reload; the window's title follows;
//  - Playground: a real engine's reply streams in step by step, with who served it and its speed; reasoning
//    is shown apart, in a block that opens and closes; Stop ends the generation at the engine;
//  - Settings: joining a cluster with a join token restarts the node in place and survives a real restart;
//  - another site (another loopback port, or a name rebound to 127.0.0.1) can neither change the node nor
//    read its page's token.
// Screenshots of every page go to a temporary folder always, and to docs/screenshots/ui-PAGE.png when
// QUORUM_WRITE_SCREENSHOTS=1 (they are the README's pictures).
//
// One browser for the file, one context (a fresh profile) per test, closed even when a test fails; nodes
// and engines are stopped in after hooks. No sleeps: Playwright waits for elements, page.waitForFunction
// polls the page with a deadline, and what happens too fast to poll (a banner, a length that grows) is
// recorded in the page by a MutationObserver (watch()).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { freePort, modelsFolder, quorumBin, startNode, waitFor } from "./harness.mjs";
import { answerWords, reasoningWords, startScriptedEngine } from "./scripted_engine.mjs";

const CHROMIUM = "/usr/bin/chromium";
const skip = fs.existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing: install Debian's chromium package (bash scripts/install-deps.sh --test)`;

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const WAIT_MS = 15000;

// Nodes of one cluster on one machine: no mDNS, reached at 127.0.0.1, heartbeats every second, a silent
// node listed (as unreachable) for 3 s.
const loopbackCluster = ["--no-mdns", "--advertise", "127.0.0.1", "--heartbeat-interval", "1", "--prune-after", "3"];

const tempDirs = [];
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function clusterInit(stateDir) {
  return execFileSync(quorumBin(), ["cluster", "init", "--state-dir", stateDir], { encoding: "utf8" }).trim().split("\n").at(-1);
}

function clusterJoin(token, stateDir) {
  execFileSync(quorumBin(), ["cluster", "join", token, "--state-dir", stateDir], { encoding: "utf8" });
}


async function snapshotOf(node) {
  const r = await fetch(`${node.url}/api/ui/snapshot`);
  assert.equal(r.status, 200);
  return r.json();
}

// ---- the browser ----

let browser;
// Kept after the run: the screenshots are for a person to look at.
const shotsDir = skip ? null : fs.mkdtempSync(path.join(os.tmpdir(), "quorum-ui-screenshots-"));

// A new page (fresh context: its own profile, cookies, storage) at `route` of `node`, once the node's first
// snapshot has arrived (the title then counts the nodes online). Closed after the test.
async function openPage(t, node, route = "/") {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${node.url}/#${route}`);
  await until(page, () => document.title.startsWith("Quorum —"), undefined, "the node's first snapshot");
  return page;
}

// Waits until `fn(arg)`, run in the page, is truthy; on a timeout the error tells what and shows the page's text.
async function until(page, fn, arg, what, timeout = WAIT_MS) {
  try {
    return await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (e) {
    const text = await page.evaluate(() => document.body.innerText).catch(() => "(page gone)");
    throw new Error(`timed out waiting for ${what}: ${e.message.split("\n")[0]}\n--- page ---\n${text.slice(0, 3000)}`);
  }
}

// Records, in the page, every distinct value of `probe` (the source of a function of no arguments run in the
// page) after each change of the DOM, from now on; seen(page, name) reads them back.
async function watch(page, name, probe) {
  await page.evaluate(
    ({ name, probe }) => {
      const read = new Function(`return (${probe})();`);
      window.__watch ??= {};
      const values = (window.__watch[name] = []);
      const sample = () => {
        const v = JSON.stringify(read());
        if (values.at(-1) !== v) values.push(v);
      };
      sample();
      new MutationObserver(sample).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    },
    { name, probe: probe.toString() },
  );
}

const seen = (page, name) => page.evaluate((name) => window.__watch[name].map((v) => JSON.parse(v)), name);

async function screenshot(t, page, name) {
  const file = path.join(shotsDir, `ui-${name}.png`);
  await page.screenshot({ path: file });
  if (process.env.QUORUM_WRITE_SCREENSHOTS === "1") {
    fs.mkdirSync(path.join(repo, "docs/screenshots"), { recursive: true });
    fs.copyFileSync(file, path.join(repo, "docs/screenshots", `ui-${name}.png`));
  }
  t.diagnostic(`screenshot: ${file}`);
}

// The Playground's form: pick `model` (and `maxTokens`), type `message`, press Send.
async function ask(page, model, message, { maxTokens } = {}) {
  await page.getByLabel("Model").selectOption(model);
  if (maxTokens) await page.getByLabel("Max tokens").fill(String(maxTokens));
  await page.getByLabel("Message").fill(message);
  await page.getByRole("button", { name: "Send" }).click();
}

// Waits until the last answer has ended (Send is back) and resolves with what its turn shows.
async function lastAnswer(page) {
  await page.getByTestId("send-button").waitFor({ timeout: 60000 });
  const turn = page.getByTestId("assistant-message").last();
  return {
    answer: await turn.getByTestId("answer").textContent(),
    servedBy: await turn.getByTestId("served-by").textContent().catch(() => null),
    stats: await turn.getByTestId("answer-stats").textContent().catch(() => null),
    turn,
  };
}

describe("the node's page in Chromium", { skip }, () => {
  let engine;
  let a; // "studio": first node of a cluster, the embedded engine on tiny-a, the scripted engine
  let clusterToken;
  const bDirs = [];

  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        // A name of another site that resolves to this machine: DNS rebinding, played without a DNS server.
        "--host-resolver-rules=MAP evil.test 127.0.0.1",
        // Chromium's own Local Network Access checks would stop a public page's requests to loopback before
        // they reach the node; browsers without them exist, so the node must hold on its own.
        "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults"],
    });
    engine = await startScriptedEngine({ offer: ["llama-reasoning", "endless"] });
    const aDir = tempDir("quorum-ui-a-");
    clusterToken = clusterInit(aDir);
    a = await startNode({
      stateDir: aDir,
      args: [...loopbackCluster, "--name", "studio", "--models-dir", await modelsFolder("tiny-a"),
        "--engine", `script=${engine.url}`, "--probe-interval", "1"],
    });
    await waitFor(async () => (await snapshotOf(a)).models.length === 3, { what: "studio's three models" });
  });

  after(async () => {
    try {
      await browser?.close();
      await a?.stop();
      await engine?.stop();
    } finally {
      for (const d of [...tempDirs, ...bDirs]) fs.rmSync(d, { recursive: true, force: true });
    }
  });

  // "laptop": a second node of studio's cluster (the embedded engine on tiny-b), which names studio as its peer.
  async function startLaptop(t) {
    const stateDir = tempDir("quorum-ui-b-");
    clusterJoin(clusterToken, stateDir);
    const b = await startNode({
      stateDir,
      args: [...loopbackCluster, "--name", "laptop", "--models-dir", await modelsFolder("tiny-b"), "--peer", `127.0.0.1:${a.port}`],
    });
    t.after(() => b.stop());
    return b;
  }

  test("Nodes: a second node appears and goes without a reload, and the title counts the nodes online", async (t) => {
    const page = await openPage(t, a, "/nodes");
    await until(page, () => document.querySelectorAll("[data-testid=node-card]").length === 1, undefined, "one card");
    assert.equal(await page.getByTestId("node-card").getAttribute("aria-label"), "Node studio");
    assert.equal(await page.title(), "Quorum — 1 node online");
    // A reload would lose this mark.
    await page.evaluate(() => (window.__sameDocument = true));
    await watch(page, "laptop", () => {
      const card = document.querySelector("[aria-label='Node laptop']");
      return card ? card.querySelector("[data-testid=node-state]").textContent : "gone";
    });
    await watch(page, "title", () => document.title);

    const b = await startLaptop(t);
    const laptop = page.getByRole("article", { name: "Node laptop" });
    await until(page, () => document.querySelector("[aria-label='Node laptop'] [data-testid=node-state]")?.textContent === "online",
      undefined, "laptop's card, online");
    await until(page, () => document.title === "Quorum — 2 nodes online", undefined, "the title counting 2 nodes");
    assert.match(await laptop.textContent(), /tiny-b/, "laptop's card lists its model");
    assert.equal(await page.getByTestId("node-card").count(), 2);

    await b.stop();
    await until(page, () => !document.querySelector("[aria-label='Node laptop']"), undefined, "laptop's card gone", 20000);
    assert.equal(await page.title(), "Quorum — 1 node online");
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "the page was not reloaded");
    const states = await seen(page, "laptop");
    assert.equal(states[0], "gone");
    assert.ok(states.includes("online"), JSON.stringify(states));
    // While it is silent the card says so, before it goes.
    assert.deepEqual(states.slice(-2), ["unreachable", "gone"], JSON.stringify(states));
    const titles = await seen(page, "title");
    assert.deepEqual(titles.filter((x, i) => x !== titles[i - 1]).slice(-2), ["Quorum — 2 nodes online", "Quorum — 1 node online"]);
  });

  test("Playground: a real engine's reply streams in step by step, with who served it and how fast", async (t) => {
    const page = await openPage(t, a, "/playground");
    // Every length the answer shows while Stop is on screen (that is, while it streams).
    await watch(page, "streamed", () => {
      const answer = [...document.querySelectorAll("[data-testid=answer]")].at(-1);
      const streaming = !!document.querySelector("[data-testid=stop-button]");
      return answer && streaming && !answer.querySelector("span") ? answer.textContent.length : null;
    });
    await ask(page, "tiny-a", "Tell me a long story about a lighthouse.", { maxTokens: 200 });
    const done = await lastAnswer(page);
    const lengths = (await seen(page, "streamed")).filter((n) => n !== null);
    assert.ok(lengths.length >= 3, `the answer grew in ${lengths.length} steps: ${JSON.stringify(lengths)}`);
    for (let i = 1; i < lengths.length; i++) assert.ok(lengths[i] > lengths[i - 1], `lengths grow: ${JSON.stringify(lengths)}`);
    assert.ok(done.answer.length >= lengths.at(-1));
    assert.equal(done.servedBy, "Served by studio");
    assert.match(done.stats, /^first token \d+(\.\d+)? m?s · [\d.]+ tokens\/s · \d+ tokens$/);
    assert.equal(await done.turn.getByRole("alert").count(), 0);
  });

  test("Playground: reasoning (llama-server's reasoning_content) is shown apart, in a block that opens and closes", async (t) => {
    const page = await openPage(t, a, "/playground");
    // Whether the block is open, and what the answer shows, at each step.
    await watch(page, "steps", () => {
      const block = document.querySelector("[data-testid=reasoning]");
      const answer = [...document.querySelectorAll("[data-testid=answer]")].at(-1);
      return block ? { open: block.open, answered: !!answer && !answer.querySelector("span") && answer.textContent !== "" } : null;
    });
    await ask(page, "llama-reasoning", "Hello!");
    const done = await lastAnswer(page);
    const reasoning = page.getByTestId("reasoning");
    assert.equal(await reasoning.locator("p").textContent(), reasoningWords.join(""));
    assert.equal(done.answer, answerWords.join(""), "the answer holds only the content");
    assert.equal(await reasoning.getAttribute("open"), null, "closed once the answer has come");
    const steps = (await seen(page, "steps")).filter(Boolean);
    assert.ok(steps.some((s) => s.open && !s.answered), `open while only reasoning had come: ${JSON.stringify(steps)}`);
    assert.ok(!steps.some((s) => s.open && s.answered), `closed as soon as the answer started: ${JSON.stringify(steps)}`);

    assert.equal(await reasoning.locator("p").isVisible(), false);
    await reasoning.getByText("Reasoning", { exact: true }).click();
    await reasoning.locator("p").waitFor({ state: "visible" });
    await reasoning.getByText("Reasoning", { exact: true }).click();
    await reasoning.locator("p").waitFor({ state: "hidden" });
    assert.match(done.stats, /tokens\/s · \d+ tokens$/);
  });

  test("Playground: Stop ends the generation at the engine and keeps what had come", async (t) => {
    const page = await openPage(t, a, "/playground");
    const cutBefore = engine.stats.endlessCut ?? 0;
    await ask(page, "endless", "Count for a minute.");
    await until(page, () => [...document.querySelectorAll("[data-testid=answer]")].at(-1)?.textContent.includes("piece-5"),
      undefined, "six pieces on screen");
    const clicked = Date.now();
    await page.getByRole("button", { name: "Stop" }).click();
    // The engine sees its client leave (the node cancelled the generation), well before the minute is up.
    await waitFor(() => (engine.stats.endlessCut ?? 0) === cutBefore + 1, { timeoutMs: 5000, intervalMs: 20, what: "the engine seeing the client leave" });
    assert.ok(Date.now() - clicked < 5000);
    const turn = page.getByTestId("assistant-message").last();
    await turn.getByText("Stopped.").waitFor();
    await page.getByTestId("send-button").waitFor();
    assert.match(await turn.getByTestId("answer").textContent(), /^piece-0 piece-1 piece-2 piece-3 piece-4 piece-5 /);
    assert.match(await turn.getByTestId("answer-stats").textContent(), /tokens\/s/);
    // The node holds no request any more.
    await waitFor(async () => !/^quorum_requests_in_flight\{engine="script"[^}]*\} [1-9]/m.test(await (await fetch(`${a.url}/metrics`)).text()),
      { what: "no request in flight at the scripted engine" });
    // The Dashboard's row for it: stopped by the client (499), with the first token's time and the tokens
    // that had come (the node used to lose both when the client left).
    await page.getByRole("link", { name: "Dashboard" }).click();
    const row = page.getByTestId("request-row").filter({ hasText: "endless" }).first();
    await row.waitFor();
    const cells = await row.locator("td").allTextContents();
    assert.ok(cells.includes("499"), cells.join(" | "));
    assert.doesNotMatch(cells.at(-2), /—/, `first token: ${cells.join(" | ")}`);
    const out = Number(cells.at(-1).split("/")[1]);
    assert.ok(out >= 6, `tokens out: ${cells.join(" | ")}`);
  });

  test("Settings: joining a cluster restarts the node in place, and the membership survives a real restart", async (t) => {
    // The join token, as a person gets it: studio's Settings → Show join token.
    const aPage = await openPage(t, a, "/settings");
    await aPage.getByRole("button", { name: "Show join token" }).click();
    const token = (await aPage.getByTestId("join-token").textContent()).trim();
    assert.match(token, /^qc1\./);
    const cluster = (await snapshotOf(a)).cluster;

    const stateDir = tempDir("quorum-ui-join-");
    const port = await freePort();
    const start = () => startNode({ port, stateDir, keepStateDir: true,
      args: [...loopbackCluster, "--name", "notebook", "--no-embedded", "--peer", `127.0.0.1:${a.port}`] });
    let b = await start();
    t.after(() => b.stop());
    const pid = b.proc.pid;
    const page = await openPage(t, b, "/settings");
    await page.getByText("not in a cluster", { exact: true }).waitFor();
    await watch(page, "banner", () => document.querySelector("[data-testid=connection-banner]")?.dataset.state ?? "none");

    await page.getByLabel("Join token").fill(token);
    await page.getByRole("button", { name: "Join cluster" }).click();
    await until(page, (id) => document.body.innerText.includes(id) && !document.querySelector("[data-testid=connection-banner]"),
      cluster.id, "the cluster on the page, the node back");
    assert.ok((await seen(page, "banner")).includes("restarting"), "the page said Restarting…");
    assert.equal(b.proc.exitCode, null);
    assert.equal(b.proc.pid, pid, "restarted in place");
    assert.equal((await snapshotOf(b)).cluster.id, cluster.id);
    assert.match(await page.getByTestId("header-cluster").textContent(), /Cluster /);

    // A real restart: the process ends and starts again on the same state directory.
    await b.stop();
    b = await start();
    await page.reload();
    await until(page, (id) => document.body.innerText.includes(id), cluster.id, "the cluster after the restart");
    await page.getByRole("link", { name: "Nodes" }).click();
    await until(page, () => document.querySelector("[aria-label='Node studio'] [data-testid=node-state]")?.textContent === "online",
      undefined, "studio's card on notebook's Nodes page");
    assert.equal(await page.title(), "Quorum — 2 nodes online");
  });

  test("another site can neither change the node nor read its page's token", async (t) => {
    const c = await startNode({ args: ["--no-mdns", "--no-embedded", "--name", "victim"] });
    t.after(() => c.stop());
    const before = await snapshotOf(c);
    assert.equal(before.cluster, null);
    const index = await (await fetch(`${c.url}/`)).text();
    const token = index.match(/<meta name="quorum-ui-token" content="([0-9a-f]{32})">/)?.[1];
    assert.ok(token, "the node's own page carries its token");

    // The attacker's page: it tries every way a page has to write to the node or read its index.html, and
    // reports what it got.
    const attack = `
      const node = ${JSON.stringify(c.url)};
      const guess = "0123456789abcdef0123456789abcdef";
      async function tryFetch(url, init) {
        try {
          const r = await fetch(url, init);
          let body = "";
          try { body = await r.text(); } catch {}
          return { type: r.type, status: r.status, body };
        } catch (e) {
          return { threw: String(e) };
        }
      }
      function formPost(action, enctype) {
        return new Promise((resolve) => {
          const frame = document.createElement("iframe");
          frame.name = "f" + Math.random().toString(16).slice(2);
          document.body.append(frame);
          const form = document.createElement("form");
          form.method = "POST"; form.action = action; form.target = frame.name; form.enctype = enctype;
          const field = document.createElement("input");
          field.name = '{"token":"x","a":"'; field.value = '"}';
          form.append(field);
          document.body.append(form);
          frame.onload = () => {
            let read;
            try { read = frame.contentDocument?.documentElement?.outerHTML ?? null; } catch (e) { read = "blocked: " + e.name; }
            resolve({ read });
          };
          form.submit();
        });
      }
      function frameRead(url) {
        return new Promise((resolve) => {
          const frame = document.createElement("iframe");
          frame.src = url;
          frame.onload = () => {
            let read;
            try { read = frame.contentDocument?.documentElement?.outerHTML ?? null; } catch (e) { read = "blocked: " + e.name; }
            resolve({ read });
          };
          document.body.append(frame);
        });
      }
      window.attack = async (base) => ({
        json: await tryFetch(base + "/api/ui/cluster/init", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }),
        guessed: await tryFetch(base + "/api/ui/cluster/init", { method: "POST", headers: { "Content-Type": "application/json", "X-Quorum-UI-Token": guess }, body: "{}" }),
        simple: await tryFetch(base + "/api/ui/cluster/init", { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body: "{}" }),
        rename: await tryFetch(base + "/api/ui/node", { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body: '{"name":"pwned"}' }),
        form: await formPost(base + "/api/ui/cluster/init", "text/plain"),
        formUrlencoded: await formPost(base + "/api/ui/node", "application/x-www-form-urlencoded"),
        index: await tryFetch(base + "/"),
        snapshot: await tryFetch(base + "/api/ui/snapshot"),
        frame: await frameRead(base + "/"),
      });`;
    const html = `<!doctype html><title>Totally harmless</title><script>${attack}</script>`;
    const evil = http.createServer((req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end(html);
    });
    await new Promise((r) => evil.listen(0, "127.0.0.1", r));
    t.after(() => new Promise((r) => { evil.closeAllConnections(); evil.close(r); }));
    const evilPort = evil.address().port;

    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    // What the node answered to each request that reached it (the browser sees it even where the page may not).
    const answered = [];
    page.on("response", (r) => answered.push({ method: r.request().method(), url: r.url(), status: r.status() }));
    const results = {};
    // Another site, and another page of this machine (another port of loopback: also another origin).
    for (const origin of [`http://evil.test:${evilPort}`, `http://127.0.0.1:${evilPort}`]) {
      await page.goto(`${origin}/`);
      results[origin] = await page.evaluate((base) => window.attack(base), c.url);
    }
    // DNS rebinding: the attacker's page at evil.test on the node's own port (served here by Playwright, as the
    // attacker's server would before the name is rebound to 127.0.0.1), whose same-origin requests then reach
    // the node. Then the node's page itself opened under that name.
    const rebound = `http://evil.test:${c.port}`;
    await page.route(`${rebound}/rebind.html`, (route) => route.fulfill({ contentType: "text/html", body: html }));
    await page.goto(`${rebound}/rebind.html`);
    results.rebinding = await page.evaluate((base) => window.attack(base), rebound);
    const direct = await page.goto(`${rebound}/`);
    results.direct = { status: direct.status(), body: await page.content() };

    const report = JSON.stringify({ results, answered }, null, 1);
    assert.ok(!report.includes(token), `the token leaked: ${report}`);
    for (const origin of [`http://evil.test:${evilPort}`, `http://127.0.0.1:${evilPort}`]) {
      const r = results[origin];
      // A write with JSON or a token needs a CORS preflight, which the node never grants.
      assert.ok(r.json.threw && r.guessed.threw, report);
      assert.ok(r.index.threw && r.snapshot.threw, `reads of another origin are not readable: ${report}`);
      assert.equal(r.simple.type, "opaque", report);
      assert.ok(r.frame.read === null || r.frame.read.startsWith("blocked"), `the node's page in a frame is not readable: ${report}`);
    }
    for (const name of ["json", "guessed", "index", "snapshot"]) {
      assert.equal(results.rebinding[name].status, 421, `${name} under a rebound name: ${report}`);
    }
    assert.equal(results.direct.status, 421);
    assert.match(results.direct.body, /misdirected_host/);

    // The writes that a page may send without asking (no-cors text, forms) reached the node, which refused them.
    const writes = answered.filter((r) => r.method === "POST" && r.url.includes("/api/ui/"));
    assert.ok(writes.length >= 6, report);
    for (const w of writes) assert.ok([403, 421].includes(w.status), `${w.url}: ${w.status}`);
    // Nothing changed, and nothing restarted the node.
    const after = await snapshotOf(c);
    assert.equal(after.cluster, null);
    assert.deepEqual(after.settings, before.settings);
    assert.equal(after.node.name, "victim");
    assert.equal(after.node.started_at, before.node.started_at);
    assert.doesNotMatch(c.output(), /ui: \S+ done/);
  });

  test("screenshots of every page, with two nodes, answers and reasoning", async (t) => {
    await startLaptop(t);
    // Nodes of earlier tests have gone from studio's list; laptop is there.
    await waitFor(async () => {
      const nodes = (await snapshotOf(a)).nodes;
      return nodes.length === 2 && nodes.every((n) => n.state === "online");
    }, { timeoutMs: WAIT_MS, what: "studio and laptop alone, online" });
    const page = await openPage(t, a, "/");
    await until(page, () => document.title === "Quorum — 2 nodes online", undefined, "two nodes online");
    await until(page, () => document.querySelectorAll("[data-testid=request-row]").length >= 3, undefined, "recent requests");
    await screenshot(t, page, "dashboard");

    await page.getByRole("link", { name: "Playground" }).click();
    await ask(page, "llama-reasoning", "Hello! Who are you?");
    await lastAnswer(page);
    await page.getByTestId("reasoning").getByText("Reasoning", { exact: true }).click();
    await page.getByTestId("reasoning").locator("p").waitFor({ state: "visible" });
    await screenshot(t, page, "playground");

    await page.getByRole("link", { name: "Models" }).click();
    await until(page, () => document.querySelector("[data-model-id='tiny-b']"), undefined, "laptop's model");
    await screenshot(t, page, "models");

    await page.getByRole("link", { name: "Nodes" }).click();
    await until(page, () => document.querySelectorAll("[data-testid=node-card]").length === 2, undefined, "two cards");
    await screenshot(t, page, "nodes");

    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("button", { name: "Show join token" }).waitFor();
    await screenshot(t, page, "settings");
  });
});
