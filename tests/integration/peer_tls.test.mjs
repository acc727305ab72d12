// Traffic between the nodes of a cluster is encrypted and authenticated (TLS 1.3 with the cluster's key,
// src/net/peer_tls.h): someone on the LAN between two nodes reads nothing of a forwarded prompt or its
// completion, and altering the bytes makes the request fail instead of changing the answer; a node of another
// cluster gets no session.
//
// Four namespaced hosts on one bridge: A and B of one cluster (B has the model "echo", an engine in B's
// namespace that answers "ANSWER-" + the prompt reversed), M in the middle, and C of another cluster. mDNS is
// off, so A reaches B only as its --peer, at M's address, where a relay the test owns (wire_tap.mjs) passes
// the bytes on to B, keeping a copy, and flips bits when told to. C names B as its --peer directly. Needs
// root.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { waitFor } from "./harness.mjs";
import { clusterNodesOf, createLan, curlIn, formCluster, nodeIdOf } from "./netns.mjs";

const subnet = "10.213.141";
const tapPort = 40000;
const enginePort = 18080;
const hosts = {};
let lan, tapDir;
const helpers = []; // { proc, exited }

// Runs `script` (of this folder) with `args` inside namespace `ns`; resolves once it printed "ready".
async function startIn(ns, script, args) {
  const proc = spawn("ip", ["netns", "exec", ns, process.execPath, path.join(import.meta.dirname, script), ...args],
    { stdio: ["pipe", "pipe", "pipe"] });
  const helper = { proc, output: "", exited: new Promise((r) => proc.on("exit", r)) };
  proc.stdout.on("data", (d) => (helper.output += d));
  proc.stderr.on("data", (d) => (helper.output += d));
  helpers.push(helper);
  await waitFor(() => helper.output.includes("ready") || proc.exitCode !== null, { what: `${script} in ${ns}` });
  assert.ok(helper.output.includes("ready"), `${script}: ${helper.output}`);
  return helper;
}
let tap;

const common = ["--no-mdns", "--no-embedded", "--heartbeat-interval", "1", "--probe-interval", "1"];

before(async () => {
  lan = createLan("qpt", subnet);
  for (const [name, index] of [["a", 1], ["b", 2], ["m", 3], ["c", 4]]) hosts[name] = lan.addHost(name, index);
  formCluster(hosts.a, hosts.b);
  formCluster(hosts.c);
  tapDir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-qpt-tap-"));
  await startIn(hosts.b.ns, "echo_engine.mjs", [String(enginePort)]);
  tap = await startIn(hosts.m.ns, "wire_tap.mjs",
    [JSON.stringify({ listen: [hosts.m.address, tapPort], target: [hosts.b.address, 32768], dir: tapDir })]);
  await lan.start(hosts.b, [...common, "--engine", `echo=openai:http://127.0.0.1:${enginePort}`]);
  await lan.start(hosts.a, [...common, "--peer", `${hosts.m.address}:${tapPort}`]);
  await lan.start(hosts.c, [...common, "--peer", `${hosts.b.address}:32768`]);
});

after(async () => {
  try {
    for (const h of [hosts.a, hosts.b, hosts.c]) if (h) await lan.stop(h);
  } finally {
    for (const h of helpers) {
      if (h.proc.exitCode === null) {
        h.proc.kill("SIGTERM");
        await h.exited;
      }
    }
    lan?.destroy();
    if (tapDir) fs.rmSync(tapDir, { recursive: true, force: true });
  }
});

const bToA = () => clusterNodesOf(hosts.a).data.find((n) => n.id === nodeIdOf(hosts.b));
const askA = (content, extra = {}) => curlIn(hosts.a.ns, "POST", "http://127.0.0.1:32768/v1/chat/completions",
  { body: JSON.stringify({ model: "echo", messages: [{ role: "user", content }], ...extra }) });
const wire = () => ({
  up: fs.existsSync(path.join(tapDir, "up.bin")) ? fs.readFileSync(path.join(tapDir, "up.bin")) : Buffer.alloc(0),
  down: fs.existsSync(path.join(tapDir, "down.bin")) ? fs.readFileSync(path.join(tapDir, "down.bin")) : Buffer.alloc(0),
});
const answerTo = (prompt) => "ANSWER-" + [...prompt].reverse().join("");

async function tapSays(line) {
  tap.proc.stdin.write(`${line}\n`);
  await waitFor(() => tap.output.includes(line), { what: `the tap: ${line}` });
}

test("a forwarded prompt and its completion cross the LAN encrypted, headers and all", async () => {
  await waitFor(() => bToA()?.state === "reachable" && bToA().models.some((m) => m.id === "echo"), {
    timeoutMs: 20000, what: `A reaching B through the tap:\n${hosts.a.output}` });
  const prompt = `PROMPT-${crypto.randomBytes(8).toString("hex")}`;
  const plain = askA(prompt);
  assert.equal(plain.status, 200, plain.body);
  assert.equal(JSON.parse(plain.body).choices[0].message.content, answerTo(prompt));
  const streamedPrompt = `PROMPT-${crypto.randomBytes(8).toString("hex")}`;
  const streamed = askA(streamedPrompt, { stream: true });
  assert.equal(streamed.status, 200, streamed.body);
  assert.ok(streamed.body.includes(answerTo(streamedPrompt)), streamed.body);

  const { up, down } = wire();
  assert.ok(up.length > 0 && down.length > 0, "the requests went through the tap");
  assert.equal(up[0], 0x16, "the first bytes A sent are a TLS handshake record");
  for (const [what, bytes] of Object.entries({ up, down })) {
    for (const secret of [prompt, answerTo(prompt), streamedPrompt, answerTo(streamedPrompt), "X-Quorum-Proof",
      "chat/completions", "HTTP/1.1", "echo"]) {
      assert.equal(bytes.indexOf(secret), -1, `"${secret}" is readable on the wire (${what})`);
    }
  }
});

test("bytes altered on the wire make the request fail cleanly, never change its answer", async () => {
  await waitFor(() => bToA()?.state === "reachable", { timeoutMs: 20000, what: "A reaching B" });
  await tapSays("tamper on");
  const prompt = `PROMPT-${crypto.randomBytes(8).toString("hex")}`;
  let r;
  try {
    r = askA(prompt);
  } finally {
    await tapSays("tamper off");
  }
  assert.ok(r.status >= 500, `an error, not an answer: ${r.status} ${r.body}`);
  const error = JSON.parse(r.body).error;
  assert.ok(error && typeof error.message === "string", r.body);
  assert.ok(!r.body.includes("ANSWER-"), r.body);
  // Once the wire is honest again, A is served again.
  await waitFor(() => askA(prompt).status === 200, { timeoutMs: 20000, intervalMs: 500, what: "A served again" });
  assert.equal(JSON.parse(askA(prompt).body).choices[0].message.content, answerTo(prompt));
});

test("a node of another cluster gets no TLS session with B, and B never lists it", async () => {
  await waitFor(() => /No TLS session/.test(hosts.c.output), { timeoutMs: 20000,
    what: `C's heartbeat to B failing:\n${hosts.c.output}` });
  assert.ok(!clusterNodesOf(hosts.b).data.some((n) => n.id === nodeIdOf(hosts.c)));
  assert.ok(!clusterNodesOf(hosts.c).data.some((n) => n.id === nodeIdOf(hosts.b) && n.state === "reachable"));
});
