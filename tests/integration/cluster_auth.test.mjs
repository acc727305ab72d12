// Requests from other machines: a node in a cluster serves a caller that is not on loopback only when the
// request proves knowledge of the cluster secret (HMAC, see src/cluster/peer_proof.h) and is not a replay.
//
// "Another machine" is a network namespace the test creates, whose loopback interface also holds a private
// test address (not 127/8, so not a loopback caller to the node): the node listens there and curl calls it from inside the same namespace, so the caller's address
// is not loopback and no packet leaves the namespace. The proof is computed here with node:crypto, an
// implementation independent of the node's own. Needs root (CI runs as root).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { quorumBin, waitFor } from "./harness.mjs";
import { curlIn, peerCallIn, peerHeaders, peerTlsKey } from "./netns.mjs";

const ns = `qtest-auth-${process.pid}`;
const address = "10.213.77.1";
const port = 32768;
let stateDir;
let node;
let secret;
let nodeId;
let output = "";

// A call to the node from inside the namespace, in plain text; returns { status, body }.
const plainCall = (method, target, options) => curlIn(ns, method, `http://${address}:${port}${target}`, options);
// The same in a TLS session with the cluster's key, as peers call.
const call = (method, target, options) =>
  peerCallIn(ns, peerTlsKey(stateDir), method, `http://${address}:${port}${target}`, options);

before(async () => {
  execFileSync("ip", ["netns", "add", ns]);
  execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
  execFileSync("ip", ["-n", ns, "addr", "add", `${address}/32`, "dev", "lo"]);
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-auth-"));
  execFileSync(quorumBin(), ["cluster", "init", "--state-dir", stateDir]);
  secret = JSON.parse(fs.readFileSync(path.join(stateDir, "cluster.json"), "utf8")).secret;
  nodeId = JSON.parse(fs.readFileSync(path.join(stateDir, "node.json"), "utf8")).id;
  node = spawn("ip", ["netns", "exec", ns, quorumBin(), "node", "--listen", `${address}:${port}`, "--state-dir",
    stateDir, "--no-autodetect", "--no-embedded"], { stdio: ["ignore", "pipe", "pipe"] });
  node.stdout.on("data", (d) => (output += d));
  node.stderr.on("data", (d) => (output += d));
  await waitFor(() => output.includes("listening on"), { timeoutMs: 20000, what: `the node in ${ns}:\n${output}` });
});

after(async () => {
  if (node && node.exitCode === null) {
    const exited = new Promise((r) => node.on("exit", r));
    node.kill("SIGTERM");
    await exited;
  }
  spawnSync("ip", ["netns", "del", ns]);
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
});

test("an unauthenticated request from another machine gets 401 in the API's shape", () => {
  const r = plainCall("GET", "/v1/models");
  assert.equal(r.status, 401);
  const body = JSON.parse(r.body);
  assert.equal(body.error.code, "invalid_api_key");
  assert.match(body.error.message, /authenticate/);
});

test("a peer that proves the cluster secret is served, GET and POST", () => {
  const models = call("GET", "/v1/models", { headers: peerHeaders(secret, "GET", "/v1/models", { to: nodeId }) });
  assert.equal(models.status, 200, models.body);
  assert.equal(JSON.parse(models.body).object, "list");
  const body = JSON.stringify({ model: "none", messages: [{ role: "user", content: "hi" }] });
  const chat = call("POST", "/v1/chat/completions", { headers: peerHeaders(secret, "POST", "/v1/chat/completions", { body, to: nodeId }), body });
  assert.equal(chat.status, 404, "authenticated, then the usual answer: no such model");
  assert.equal(JSON.parse(chat.body).error.code, "model_not_found");
});

test("a captured request cannot be replayed", () => {
  const headers = peerHeaders(secret, "GET", "/v1/models", { to: nodeId });
  assert.equal(call("GET", "/v1/models", { headers }).status, 200);
  const again = call("GET", "/v1/models", { headers });
  assert.equal(again.status, 401);
  assert.match(JSON.parse(again.body).error.message, /replayed/);
});

test("another cluster's secret, a changed body, or a stale time is refused", async () => {
  const other = crypto.randomBytes(32).toString("hex");
  assert.equal(call("GET", "/v1/models", { headers: peerHeaders(other, "GET", "/v1/models", { to: nodeId }) }).status, 401);
  const body = JSON.stringify({ model: "m", messages: [] });
  const tampered = call("POST", "/v1/chat/completions", {
    headers: peerHeaders(secret, "POST", "/v1/chat/completions", { body, to: nodeId }), body: body.replace('"m"', '"n"') });
  assert.equal(tampered.status, 401);
  // A request signed for another node of the cluster (captured there, replayed here) is refused.
  const elsewhere = call("GET", "/v1/models", { headers: peerHeaders(secret, "GET", "/v1/models", { to: "0123456789abcdef0123456789abcdef" }) });
  assert.equal(elsewhere.status, 401);
  assert.match(JSON.parse(elsewhere.body).error.message, /addressed to another node/);
  const stale = call("GET", "/v1/models", { headers: peerHeaders(secret, "GET", "/v1/models", { node: "p", to: nodeId, time: Date.now() - 120000 }) });
  assert.equal(stale.status, 401);
  assert.match(JSON.parse(stale.body).error.message, /stale/);
  // The log (read through a pipe, so polled) names the caller and the reason, never the secret.
  await waitFor(() => /refused a peer request from 10\.213\.77\.1: The request is stale/.test(output), {
    what: "the refusal in the node's log" });
  assert.ok(!output.includes(secret), "the secret never reaches the log");
});

test("a valid proof sent in plain text from another machine is refused: peers talk TLS", () => {
  const r = plainCall("GET", "/v1/models", { headers: peerHeaders(secret, "GET", "/v1/models", { to: nodeId }) });
  assert.equal(r.status, 401);
  const error = JSON.parse(r.body).error;
  assert.equal(error.code, "invalid_api_key");
  assert.match(error.message, /TLS session/);
});

test("a node of another cluster, or with another key under this cluster's name, gets no TLS session", () => {
  const ours = peerTlsKey(stateDir);
  const url = `http://${address}:${port}/v1/models`;
  for (const key of [{ identity: "quorum-peer-tls-v1:0123456789abcdef", key: crypto.randomBytes(32) },
    { identity: ours.identity, key: crypto.randomBytes(32) }]) {
    const r = peerCallIn(ns, key, "GET", url, { headers: peerHeaders(secret, "GET", "/v1/models", { to: nodeId }) });
    assert.equal(r.status, 0, `no answer without the cluster's key: ${JSON.stringify(r)}`);
    assert.ok(r.error, "the handshake failed");
  }
  // The node still serves its cluster.
  assert.equal(call("GET", "/v1/models", { headers: peerHeaders(secret, "GET", "/v1/models", { to: nodeId }) }).status, 200);
});
