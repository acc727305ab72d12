// LAN discovery with real multicast: three nodes, each in its own network namespace, joined by a bridge in a
// fourth namespace (traffic never leaves these namespaces; addresses are in a private test range). Nodes A
// and B are in one cluster, C in another: A and B find each other by mDNS within 5 s, C is ignored, and a
// node that stops says goodbye so it disappears at once. Needs root (CI runs as root).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { quorumBin, waitFor } from "./harness.mjs";
import { curlIn, peerHeaders } from "./netns.mjs";

const tag = `${process.pid % 100000}`;
const bridgeNs = `qlan-sw-${tag}`;
const nodes = {};

function ip(...args) {
  execFileSync("ip", args, { stdio: "pipe" });
}

function makeHost(name, index) {
  const ns = `qlan-${name}-${tag}`;
  const inner = `v${name}${tag}`.slice(0, 15);
  const outer = `b${name}${tag}`.slice(0, 15);
  ip("netns", "add", ns);
  ip("-n", ns, "link", "set", "lo", "up");
  ip("-n", bridgeNs, "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", ns);
  ip("-n", bridgeNs, "link", "set", outer, "master", "br0");
  ip("-n", bridgeNs, "link", "set", outer, "up");
  ip("-n", ns, "addr", "add", `10.213.90.${index}/24`, "dev", inner);
  ip("-n", ns, "link", "set", inner, "up");
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `quorum-lan-${name}-`));
  return { ns, stateDir, address: `10.213.90.${index}`, name };
}

function startHostNode(host) {
  const proc = spawn("ip", ["netns", "exec", host.ns, quorumBin(), "node", "--listen", "127.0.0.1:32768",
    "--state-dir", host.stateDir, "--no-autodetect", "--no-embedded"], { stdio: ["ignore", "pipe", "pipe"] });
  host.output = "";
  proc.stdout.on("data", (d) => (host.output += d));
  proc.stderr.on("data", (d) => (host.output += d));
  host.proc = proc;
  host.exited = new Promise((r) => proc.on("exit", (code, signal) => r({ code, signal })));
}

async function stopHostNode(host) {
  if (!host.proc || host.proc.exitCode !== null || host.proc.signalCode !== null) return;
  host.proc.kill("SIGTERM");
  const r = await host.exited;
  assert.equal(r.code, 0, `${host.name} exited with ${r.code ?? r.signal}:\n${host.output}`);
}

// GET /v1/cluster/nodes on the node of `host`, from inside its namespace (loopback: trusted).
function peersOf(host) {
  const r = curlIn(host.ns, "GET", "http://127.0.0.1:32768/v1/cluster/nodes");
  if (r.status !== 200) throw new Error(`GET /v1/cluster/nodes in ${host.ns}: ${r.status} ${r.body}`);
  return JSON.parse(r.body).data;
}

const idOf = (host) => JSON.parse(fs.readFileSync(path.join(host.stateDir, "node.json"), "utf8")).id;

before(async () => {
  ip("netns", "add", bridgeNs);
  ip("-n", bridgeNs, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0");
  ip("-n", bridgeNs, "link", "set", "br0", "up");
  nodes.a = makeHost("a", 1);
  nodes.b = makeHost("b", 2);
  nodes.c = makeHost("c", 3);
  const init = execFileSync(quorumBin(), ["cluster", "init", "--state-dir", nodes.a.stateDir], { encoding: "utf8" });
  execFileSync(quorumBin(), ["cluster", "join", init.trim().split("\n").at(-1), "--state-dir", nodes.b.stateDir]);
  execFileSync(quorumBin(), ["cluster", "init", "--state-dir", nodes.c.stateDir]);
  for (const h of Object.values(nodes)) startHostNode(h);
  for (const h of Object.values(nodes)) {
    await waitFor(() => h.output.includes("listening on"), { timeoutMs: 20000, what: `node ${h.name}: ${h.output}` });
  }
});

after(async () => {
  for (const h of Object.values(nodes)) {
    if (h.proc && h.proc.exitCode === null && h.proc.signalCode === null) h.proc.kill("SIGKILL");
    spawnSync("ip", ["netns", "del", h.ns]);
    fs.rmSync(h.stateDir, { recursive: true, force: true });
  }
  spawnSync("ip", ["netns", "del", bridgeNs]);
});

test("two nodes of one cluster find each other by mDNS within 5 s; the node of another cluster is ignored", async () => {
  const started = Date.now();
  await waitFor(() => peersOf(nodes.a).some((p) => p.id === idOf(nodes.b)), { timeoutMs: 5000, intervalMs: 100, what: "A seeing B" });
  await waitFor(() => peersOf(nodes.b).some((p) => p.id === idOf(nodes.a)), { timeoutMs: 5000, intervalMs: 100, what: "B seeing A" });
  assert.ok(Date.now() - started < 5000);
  const seenByA = peersOf(nodes.a).find((p) => p.id === idOf(nodes.b));
  assert.equal(seenByA.address, nodes.b.address);
  assert.equal(seenByA.port, 32768);
  // C announces too, for its own cluster: A and B hear it and ignore it.
  for (const h of [nodes.a, nodes.b]) {
    await waitFor(() => h.output.includes(`ignoring node '`) && h.output.includes(`(${idOf(nodes.c)}): another cluster`),
      { what: `${h.name} ignoring C` });
  }
  for (const h of [nodes.a, nodes.b]) assert.ok(!peersOf(h).some((p) => p.id === idOf(nodes.c)), `${h.name} ignores C`);
  assert.deepEqual(peersOf(nodes.c), [], "C's cluster has no other node");
});

test("`quorum nodes` shows this node and its discovered peer; --json prints the same data", async () => {
  await waitFor(() => peersOf(nodes.a).some((p) => p.id === idOf(nodes.b)), { what: "A seeing B" });
  const run = (...args) => spawnSync("ip", ["netns", "exec", nodes.a.ns, quorumBin(), "nodes", ...args],
    { encoding: "utf8", timeout: 10000 });
  const table = run();
  assert.equal(table.status, 0, table.stderr);
  const lines = table.stdout.trim().split("\n");
  assert.match(lines[0], /NAME\s+ID\s+ADDRESS\s+STATE\s+LAST SEEN/);
  const self = lines.find((l) => l.includes(idOf(nodes.a)));
  assert.ok(self && self.includes("this node") && self.includes(`${nodes.a.address}:32768`), table.stdout);
  const peer = lines.find((l) => l.includes(idOf(nodes.b)));
  assert.ok(peer && peer.includes("reachable") && peer.includes(`${nodes.b.address}:32768`), table.stdout);
  assert.ok(!table.stdout.includes(idOf(nodes.c)), "the node of another cluster is not listed");
  const json = JSON.parse(run("--json").stdout);
  assert.equal(json.self.id, idOf(nodes.a));
  assert.deepEqual(json.data.map((n) => n.id), [idOf(nodes.b)]);
});

test("a discovered peer is reachable at its announced address, by members of the cluster only", async () => {
  const b = await waitFor(() => peersOf(nodes.a).find((p) => p.id === idOf(nodes.b)), { what: "A seeing B" });
  const url = `http://${b.address}:${b.port}/v1/models`;
  assert.equal(curlIn(nodes.a.ns, "GET", url).status, 401, "no proof: refused");
  const secret = JSON.parse(fs.readFileSync(path.join(nodes.a.stateDir, "cluster.json"), "utf8")).secret;
  const headers = peerHeaders(secret, "GET", "/v1/models", { node: idOf(nodes.a) });
  const r = curlIn(nodes.a.ns, "GET", url, { headers });
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).object, "list");
  assert.match(nodes.b.output, new RegExp(`listening for cluster peers on http://${nodes.b.address.replaceAll(".", "\\.")}:32768`));
});

test("a node that stops says goodbye and disappears from its peers at once", async () => {
  await waitFor(() => peersOf(nodes.a).some((p) => p.id === idOf(nodes.b)), { what: "A seeing B" });
  await stopHostNode(nodes.b);
  await waitFor(() => !peersOf(nodes.a).some((p) => p.id === idOf(nodes.b)), { timeoutMs: 3000, what: "B gone from A's list" });
  assert.match(nodes.a.output, /said goodbye/);
});
