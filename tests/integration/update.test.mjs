// The node's self-update against a release feed served by this test (docs/update.md), with the binaries as a
// tarball install lays them out: build/quorum copied into a temporary "install" directory and run from there.
// The newer release is build/quorum-next: the same program linked with the next patch version (CMakeLists.txt),
// so it really reports that version. Manifests are signed with the development release key
// (packaging/keys/dev-release.key), the one this build trusts.
//
//   - a running node updates itself: the in-flight stream completes first (the drain), then the same process
//     (same pid: exec in place) serves the new version; the old binary is kept as quorum.previous;
//   - a manifest signed by another key is refused and nothing changes;
//   - a release whose binary exits at start is rolled back by the watchdog: the old binary is back in place
//     and serves again (as a new pid, the watchdog's), and the UI's update part says it was rolled back.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, quorumBin, readSse, waitFor, askStreaming } from "./harness.mjs";
import { startScriptedEngine, piece } from "./scripted_engine.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const devKey = crypto.createPrivateKey(fs.readFileSync(path.join(repo, "packaging/keys/dev-release.key")));
const nextBin = path.join(path.dirname(quorumBin()), "quorum-next");
const version = (bin) => execFileSync(bin, ["--version"]).toString().trim();
const sha256 = (buf) => crypto.createHash("sha256").update(buf).digest("hex");
const BINARY = "quorum-linux-x86_64";

// The release feed: a directory served over HTTP with Range support (the update resumes with it).
function startFeed() {
  const files = new Map();
  const server = http.createServer((req, res) => {
    const body = files.get(req.url.slice(1));
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (range) {
      const from = Number(range[1]);
      res.writeHead(206, { "Content-Length": body.length - from, "Content-Range": `bytes ${from}-${body.length - 1}/${body.length}` });
      res.end(body.subarray(from));
      return;
    }
    res.writeHead(200, { "Content-Length": body.length }).end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/`,
        // Publishes `binary` as release `ver`, signed by `key`.
        publish(ver, binary, key = devKey) {
          const manifest = Buffer.from(JSON.stringify({ version: ver, created: new Date().toISOString(), files: [{ name: BINARY, size: binary.length, sha256: sha256(binary) }] }));
          files.set(BINARY, binary);
          files.set("manifest.json", manifest);
          files.set("manifest.json.sig", crypto.sign(null, manifest, key));
        },
        stop: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      }),
    ),
  );
}

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

// Every process whose command line mentions `marker` (the node after a rollback is the watchdog's process).
function pidsWith(marker) {
  const pids = [];
  for (const p of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(marker)) pids.push(Number(p));
    } catch {}
  }
  return pids;
}

// A tarball-style install of build/quorum, running as a node with `feed`.
async function startInstalled(feed, engine) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-install-"));
  const bin = path.join(dir, "quorum");
  fs.copyFileSync(quorumBin(), bin);
  fs.chmodSync(bin, 0o755);
  const stateDir = path.join(dir, "state");
  const port = await freePort();
  const args = ["node", "--listen", `127.0.0.1:${port}`, "--state-dir", stateDir, "--no-autodetect", "--no-mdns",
    "--no-embedded", "--engine", `script=${engine.url}`, "--update-feed", feed.url, "--update-trial-timeout", "30"];
  const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  proc.stdout.on("data", (d) => (output += d));
  proc.stderr.on("data", (d) => (output += d));
  const exited = new Promise((r) => proc.on("exit", (code, signal) => r({ code, signal })));
  const node = { dir, bin, stateDir, port, proc, exited, url: `http://127.0.0.1:${port}`, output: () => output };
  cleanups.push(async () => {
    for (const pid of pidsWith(stateDir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    await waitFor(() => pidsWith(stateDir).length === 0, { timeoutMs: 10000, what: "the test's nodes gone" });
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await waitFor(async () => (await fetch(`${node.url}/health`)).ok, { timeoutMs: 30000, what: "the node's health" });
  return node;
}

const health = async (node) => (await fetch(`${node.url}/health`)).json();
const updatePart = async (node) => (await (await fetch(`${node.url}/api/ui/snapshot`)).json()).update;
async function write(node, action) {
  const html = await (await fetch(`${node.url}/`)).text();
  const token = html.match(/<meta name="quorum-ui-token" content="([0-9a-f]{32})">/)[1];
  return fetch(`${node.url}/api/ui/${action}`, { method: "POST", headers: { "Content-Type": "application/json", "X-Quorum-UI-Token": token }, body: "{}" });
}

const current = version(quorumBin());

test("a running node updates itself from the feed: the stream in flight completes, then the same process serves the new version", async () => {
  const next = version(nextBin);
  assert.notEqual(next, current, "quorum-next reports another version");
  const feed = await startFeed();
  cleanups.push(() => feed.stop());
  feed.publish(next, fs.readFileSync(nextBin));
  const engine = await startScriptedEngine();
  cleanups.push(() => engine.stop());
  const node = await startInstalled(feed, engine);
  const original = fs.readFileSync(node.bin);

  // The check at start finds the release.
  await waitFor(async () => (await updatePart(node)).state === "available", { timeoutMs: 30000, what: "update available" });
  assert.deepEqual(
    { current: (await updatePart(node)).current, available: (await updatePart(node)).available },
    { current, available: next },
  );
  assert.equal((await fetch(`${node.url}/v1/models`)).status, 200);

  // A stream in flight at update time: held by the engine until the node has stopped accepting.
  const stream = askStreaming(node, "gated");
  await waitFor(() => engine.requests.length === 1, { what: "the stream reached the engine" });
  const applied = await write(node, "update/apply");
  assert.equal(applied.status, 200, await applied.clone().text());
  await waitFor(async () => {
    try {
      await fetch(`${node.url}/health`);
      return false;
    } catch {
      return true;  // the listener is closed: the node is draining
    }
  }, { timeoutMs: 60000, what: "the node draining" });
  engine.openGate();
  const events = await readSse(await stream);
  assert.equal(events.at(-1), "[DONE]");
  assert.ok(events.join("").includes(piece(4).trim()), "the whole answer arrived");

  await waitFor(async () => (await health(node)).version === next, { timeoutMs: 30000, what: "the new version serving" });
  assert.equal(node.proc.exitCode, null, "the same process (exec in place)");
  assert.equal(fs.readlinkSync(`/proc/${node.proc.pid}/exe`), node.bin);
  assert.equal(sha256(fs.readFileSync(node.bin)), sha256(fs.readFileSync(nextBin)));
  assert.equal(sha256(fs.readFileSync(`${node.bin}.previous`)), sha256(original));
  assert.equal((await fetch(`${node.url}/v1/models`)).status, 200);
  // The watchdog confirmed and left.
  const watchdogs = () => pidsWith("\0update-trial\0").filter((p) => pidsWith(node.dir).includes(p));
  await waitFor(() => watchdogs().length === 0, { timeoutMs: 10000, what: "the watchdog gone" }).catch((e) => {
    throw new Error(`${e.message} (node ${node.proc.pid}): ${watchdogs().map((p) => fs.readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " ") + " " + execFileSync("sh", ["-c", `cat /proc/${p}/task/*/wchan; echo; cat /proc/${p}/task/*/comm`]).toString()).join("; ")}\n${node.output().slice(-3000)}`);
  });
  // And the CLI agrees through the node.
  // (execFile, not execFileSync: the feed is served by this process, which must keep running meanwhile.)
  const { stdout: out } = await promisify(execFile)(node.bin, ["update", "--check", "--url", node.url]);
  assert.match(out, new RegExp(`up to date: ${next.replace(/\./g, "\\.")}`));
});

test("a manifest signed by another key is refused and nothing changes", async () => {
  const feed = await startFeed();
  cleanups.push(() => feed.stop());
  const { privateKey: stranger } = crypto.generateKeyPairSync("ed25519");
  feed.publish(version(nextBin), fs.readFileSync(nextBin), stranger);
  const engine = await startScriptedEngine();
  cleanups.push(() => engine.stop());
  const node = await startInstalled(feed, engine);
  const before = sha256(fs.readFileSync(node.bin));
  await waitFor(async () => (await updatePart(node)).state === "failed", { timeoutMs: 30000, what: "the check failing" });
  assert.match((await updatePart(node)).error, /signature/);
  const applied = await write(node, "update/apply");
  assert.equal(applied.status, 200);
  await waitFor(async () => (await updatePart(node)).state === "failed", { timeoutMs: 30000, what: "the apply failing" });
  assert.equal(sha256(fs.readFileSync(node.bin)), before);
  assert.ok(!fs.existsSync(`${node.bin}.previous`));
  assert.equal((await health(node)).version, current);
  assert.equal(node.proc.exitCode, null);
});

test("a release whose binary exits at start is rolled back: the old binary is back and serves again", async () => {
  const feed = await startFeed();
  cleanups.push(() => feed.stop());
  feed.publish(version(nextBin), Buffer.from("#!/bin/sh\necho 'broken release' >&2\nexit 3\n"));
  const engine = await startScriptedEngine();
  cleanups.push(() => engine.stop());
  const node = await startInstalled(feed, engine);
  const original = sha256(fs.readFileSync(node.bin));
  await waitFor(async () => (await updatePart(node)).state === "available", { timeoutMs: 30000, what: "update available" });
  assert.equal((await write(node, "update/apply")).status, 200);
  const { code } = await node.exited;  // the process exec'd the broken release, which exited
  assert.equal(code, 3, node.output().slice(-3000));
  await waitFor(async () => (await health(node)).version === current, { timeoutMs: 30000, what: "the old version serving again" });
  assert.equal(sha256(fs.readFileSync(node.bin)), original);
  // The check at start finds the same release again: it is not offered, the rollback is what the UI shows.
  await waitFor(async () => (await updatePart(node)).state === "failed", { timeoutMs: 30000, what: "the rollback reported" });
  assert.match((await updatePart(node)).error, /rolled back/);
  assert.equal((await fetch(`${node.url}/v1/models`)).status, 200);
});
