// Nodes of one cluster on different networks meet through the relay. Three network namespaces: the relay's,
// and two "homes", each joined to the relay's namespace by its own link and with no route to the other (the
// relay's namespace does not forward), so the two nodes can reach the relay and nothing else, as behind two
// NATs. Each node holds a different model. A client on either home asks its own node for the other's model
// and is served across the relay; `quorum nodes` says the peer is reached by the relay; the relay carries
// TLS it cannot read (no prompt text in its log or data); and an API key serves both models from the relay.
// Traffic stays inside the namespaces. Needs root.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { quorumBin, relayBin, waitFor } from "./harness.mjs";
import { clusterNodesOf, destroyHost, formCluster, giveModels, nodeIdOf, startNodeIn, stopNodeIn } from "./netns.mjs";

const tag = `${process.pid % 100000}`;
const relayNs = `qrn-relay-${tag}`;
const hosts = {};
let relayProc;
let relayOutput = "";
const relayData = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-qrn-relay-"));
const ip = (...args) => execFileSync("ip", args, { stdio: "pipe" });
const secret = "quokka-marmalade-4411";

// A home on `${subnet}.0/24`: the node at .1, the relay's side of the link at .254.
function home(name, subnet) {
  const ns = `qrn-${name}-${tag}`;
  const inner = `h${name}${tag}`.slice(0, 15);
  const outer = `r${name}${tag}`.slice(0, 15);
  ip("netns", "add", ns);
  ip("-n", ns, "link", "set", "lo", "up");
  ip("-n", relayNs, "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", ns);
  ip("-n", relayNs, "addr", "add", `${subnet}.254/24`, "dev", outer);
  ip("-n", relayNs, "link", "set", outer, "up");
  ip("-n", ns, "addr", "add", `${subnet}.1/24`, "dev", inner);
  ip("-n", ns, "link", "set", inner, "up");
  return { ns, name, address: `${subnet}.1`, relayUrl: `http://${subnet}.254:8443`,
    stateDir: fs.mkdtempSync(path.join(os.tmpdir(), `quorum-qrn-${name}-`)) };
}

function inNs(ns, cmd, args) {
  return execFileSync("ip", ["netns", "exec", ns, cmd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function sdkIn(ns, params) {
  const out = inNs(ns, process.execPath, [path.join(import.meta.dirname, "sdk_client.mjs"), "http://127.0.0.1:32768/v1", JSON.stringify(params)]);
  return JSON.parse(out.trim().split("\n").at(-1));
}

before(async () => {
  ip("netns", "add", relayNs);
  ip("-n", relayNs, "link", "set", "lo", "up");
  ip("netns", "exec", relayNs, "sysctl", "-qw", "net.ipv4.ip_forward=0");
  hosts.a = home("a", "10.214.1");
  hosts.b = home("b", "10.214.2");
  await giveModels(hosts.a, { "model-a": "tiny-a" });
  await giveModels(hosts.b, { "model-b": "tiny-b" });
  formCluster(hosts.a, hosts.b);

  relayProc = spawn("ip", ["netns", "exec", relayNs, relayBin(), "serve", "--listen", "0.0.0.0:8443", "--data", relayData],
    { stdio: ["ignore", "pipe", "pipe"] });
  relayProc.stdout.on("data", (d) => (relayOutput += d));
  relayProc.stderr.on("data", (d) => (relayOutput += d));
  await waitFor(() => relayOutput.includes("listening on"), { timeoutMs: 20000, what: `the relay: ${relayOutput}` });
  const token = execFileSync(relayBin(), ["token", "create", "--data", relayData], { encoding: "utf8" }).trim().split("\n").at(-1);

  // The first node enrols with the operator's token; the second proves it is of the cluster, no token.
  inNs(hosts.a.ns, quorumBin(), ["relay", "join", hosts.a.relayUrl, token, "--state-dir", hosts.a.stateDir]);
  inNs(hosts.b.ns, quorumBin(), ["relay", "join", hosts.b.relayUrl, "--state-dir", hosts.b.stateDir]);
  for (const h of [hosts.a, hosts.b]) {
    await startNodeIn(h, ["--models-dir", h.models, "--no-mdns", "--probe-interval", "1", "--heartbeat-interval", "1"]);
  }
});

after(async () => {
  try {
    for (const h of Object.values(hosts)) await stopNodeIn(h);
    if (relayProc && relayProc.exitCode === null) {
      relayProc.kill("SIGTERM");
      await new Promise((r) => relayProc.on("exit", r));
    }
  } finally {
    for (const h of Object.values(hosts)) destroyHost(h);
    spawnSync("ip", ["netns", "del", relayNs]);
    fs.rmSync(relayData, { recursive: true, force: true });
  }
});

test("the homes cannot reach each other, only the relay", () => {
  const ping = spawnSync("ip", ["netns", "exec", hosts.a.ns, "curl", "-s", "-m", "2", `http://${hosts.b.address}:32768/health`]);
  assert.notEqual(ping.status, 0, "a reached b directly");
});

test("each node finds the other through the relay, and `quorum nodes` says the path is the relay", async () => {
  const idB = nodeIdOf(hosts.b);
  await waitFor(() => {
    const nodes = clusterNodesOf(hosts.a).data;
    return nodes.some((n) => n.id === idB && n.state === "reachable" && n.path === "relay");
  }, { timeoutMs: 30000, what: () => `b reachable from a through the relay: ${JSON.stringify(clusterNodesOf(hosts.a))}` });
  const shown = inNs(hosts.a.ns, quorumBin(), ["nodes", "--url", "http://127.0.0.1:32768"]);
  assert.match(shown, /via relay/);
});

test("a client at home a is served home b's model across the relay, streamed", async () => {
  await waitFor(() => {
    const r = sdkIn(hosts.a.ns, { model: "model-b", messages: [{ role: "user", content: "warm up" }], max_tokens: 2 });
    return !r.error;
  }, { timeoutMs: 30000, intervalMs: 500, what: "model-b from a" });
  const r = sdkIn(hosts.a.ns, { model: "model-b", messages: [{ role: "user", content: secret }], max_tokens: 10, stream: true });
  assert.ok(!r.error, JSON.stringify(r));
  assert.ok(r.chunks >= 3, `streamed (${r.chunks} chunks)`);
  assert.ok(r.content.length > 0);
  assert.equal(r.headers["x-quorum-node-id"], nodeIdOf(hosts.b));
  // The relay carried TLS between the two nodes: nothing of the prompt is in what it logged or stored.
  assert.ok(!relayOutput.includes(secret));
  for (const f of fs.readdirSync(relayData)) assert.ok(!fs.readFileSync(path.join(relayData, f)).includes(secret), f);
});

test("an API key made at home b serves both homes' models from the relay", async () => {
  const key = inNs(hosts.b.ns, quorumBin(), ["keys", "create", "laptop", "--state-dir", hosts.b.stateDir]).trim().split("\n").at(-1);
  const ask = (model) => {
    const out = inNs(relayNs, "curl", ["-s", "-H", `Authorization: Bearer ${key}`, "-H", "Content-Type: application/json",
      "-d", JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 3 }), "http://127.0.0.1:8443/v1/chat/completions"]);
    return JSON.parse(out);
  };
  for (const model of ["model-a", "model-b"]) {
    const r = ask(model);
    assert.equal(r.object, "chat.completion", JSON.stringify(r));
  }
});

test("a key revoked at the relay stops working on the nodes' LAN listeners within a second", async () => {
  const key = inNs(hosts.b.ns, quorumBin(), ["keys", "create", "doomed", "--state-dir", hosts.b.stateDir]).trim().split("\n").at(-1);
  const status = () => Number(inNs(relayNs, "curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", `Authorization: Bearer ${key}`,
    `http://${hosts.a.address}:32768/v1/models`]));
  await waitFor(() => status() === 200, { timeoutMs: 10000, intervalMs: 100, what: "the key at a" });
  inNs(hosts.b.ns, quorumBin(), ["keys", "revoke", key.split("_")[1], "--state-dir", hosts.b.stateDir]);
  const revokedAt = Date.now();
  await waitFor(() => status() === 401, { timeoutMs: 5000, intervalMs: 50, what: "the revoked key refused at a" });
  assert.ok(Date.now() - revokedAt < 1500, `refused ${Date.now() - revokedAt} ms after the revocation`);
});

test("a key works against a node's LAN listener too, within its scope, and keeps working while the relay is down", async () => {
  const key = inNs(hosts.a.ns, quorumBin(), ["keys", "create", "lan", "--models", "model-a", "--state-dir", hosts.a.stateDir]).trim().split("\n").at(-1);
  // From the relay's namespace, which has a link to home a: the node's LAN listener, not the relay.
  const ask = (apiKey, model = "model-a") => {
    const args = ["-s", "-w", "\n%{http_code}", "-H", "Content-Type: application/json",
      "-d", JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 2 }), `http://${hosts.a.address}:32768/v1/chat/completions`];
    if (apiKey) args.splice(1, 0, "-H", `Authorization: Bearer ${apiKey}`);
    const out = inNs(relayNs, "curl", args).trim().split("\n");
    return { status: Number(out.at(-1)), body: JSON.parse(out.slice(0, -1).join("\n")) };
  };
  await waitFor(() => ask(key).status === 200, { timeoutMs: 10000, intervalMs: 200, what: "the new key at a's LAN listener" });
  assert.equal(ask(null).status, 401);
  const wrong = ask(key.slice(0, -8) + "AAAAAAAA");
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error.code, "invalid_api_key");
  // Scoped to model-a: model-b does not exist for it, even though a could forward it through the relay.
  const scoped = ask(key, "model-b");
  assert.equal(scoped.status, 404);
  assert.equal(scoped.body.error.code, "model_not_found");
  // Cluster internals are not for keys.
  const nodes = inNs(relayNs, "curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", `Authorization: Bearer ${key}`, `http://${hosts.a.address}:32768/v1/cluster/nodes`]);
  assert.equal(nodes, "403");

  // The relay goes away: the key still works on the LAN (the node kept the hashes).
  relayProc.kill("SIGTERM");
  const code = await new Promise((r) => relayProc.on("exit", (c, signal) => r(c ?? signal)));
  assert.equal(code, 0, `the relay stopped cleanly:\n${relayOutput.slice(-3000)}`);
  assert.equal(ask(key).status, 200);
  assert.ok(fs.readFileSync(path.join(hosts.a.stateDir, "keys.json"), "utf8").includes(key.split("_")[1]));
  assert.ok(!fs.readFileSync(path.join(hosts.a.stateDir, "keys.json"), "utf8").includes(key.split("_")[2]), "no secret kept");
});
