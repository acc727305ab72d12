// LAN discovery with real multicast: three nodes, each in its own network namespace, joined by a bridge in a
// fourth namespace (traffic never leaves these namespaces; addresses are in a private test range). Nodes A
// and B are in one cluster, C in another: A and B find each other by mDNS within 5 s, C is ignored, and a
// node that stops says goodbye so it disappears at once. Needs root (CI runs as root).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { quorumBin, waitFor } from "./harness.mjs";
import { clusterNodesOf, clusterSecretOf, createLan, curlIn, formCluster, nodeIdOf as idOf, peerCallIn, peerHeaders,
  peerTlsKey } from "./netns.mjs";

const nodes = {};
let lan;

const peersOf = (host) => clusterNodesOf(host).data;

before(async () => {
  lan = createLan("qlan", "10.213.90");
  nodes.a = lan.addHost("a", 1);
  nodes.b = lan.addHost("b", 2);
  nodes.c = lan.addHost("c", 3);
  formCluster(nodes.a, nodes.b);
  formCluster(nodes.c);
  await Promise.all(Object.values(nodes).map((h) => lan.start(h, ["--no-embedded"])));
});

after(() => lan?.destroy());

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
  await waitFor(() => peersOf(nodes.a).some((p) => p.id === idOf(nodes.b) && p.state === "reachable"), { what: "A reaching B" });
  const run = (...args) => spawnSync("ip", ["netns", "exec", nodes.a.ns, quorumBin(), "nodes", ...args],
    { encoding: "utf8", timeout: 10000 });
  const table = run();
  assert.equal(table.status, 0, table.stderr);
  const lines = table.stdout.trim().split("\n");
  assert.match(lines[0], /NAME\s+ID\s+ADDRESS\s+STATE\s+IN-FLIGHT\s+LAST SEEN\s+MODELS/);
  const self = lines.find((l) => l.includes(idOf(nodes.a)));
  assert.ok(self && self.includes("this node") && self.includes(`${nodes.a.address}:32768`), table.stdout);
  const peer = lines.find((l) => l.includes(idOf(nodes.b)));
  assert.ok(peer && peer.includes("reachable") && peer.includes(`${nodes.b.address}:32768`), table.stdout);
  assert.ok(!table.stdout.includes(idOf(nodes.c)), "the node of another cluster is not listed");
  // How discovery is doing, so that a user can tell a quiet LAN from a node that cannot multicast.
  await waitFor(() => clusterNodesOf(nodes.a).discovery.other_clusters === 1, { what: "A counting C as another cluster" });
  assert.match(run().stdout, new RegExp(`^mDNS: on ${nodes.a.address.replaceAll(".", "\\.")}; heard 1 node\\(s\\) of this cluster, ignored 1 of other clusters$`, "m"));
  const json = JSON.parse(run("--json").stdout);
  assert.equal(json.self.id, idOf(nodes.a));
  assert.deepEqual(json.data.map((n) => n.id), [idOf(nodes.b)]);
  assert.deepEqual(json.discovery, { mdns: true, interfaces: [nodes.a.address], nodes_heard: 1, other_clusters: 1 });
});

test("a discovered peer is reachable at its announced address, by members of the cluster only", async () => {
  const b = await waitFor(() => peersOf(nodes.a).find((p) => p.id === idOf(nodes.b)), { what: "A seeing B" });
  const url = `http://${b.address}:${b.port}/v1/models`;
  assert.equal(curlIn(nodes.a.ns, "GET", url).status, 401, "no proof: refused");
  const secret = clusterSecretOf(nodes.a);
  const headers = peerHeaders(secret, "GET", "/v1/models", { node: idOf(nodes.a), to: idOf(nodes.b) });
  const r = peerCallIn(nodes.a.ns, peerTlsKey(nodes.a.stateDir), "GET", url, { headers });
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).object, "list");
  assert.match(nodes.b.output, /listening for cluster peers on http:\/\/0\.0\.0\.0:32768 \(every interface; only members of the cluster are served\)/);
});

test("a node that stops says goodbye and disappears from its peers at once", async () => {
  await waitFor(() => peersOf(nodes.a).some((p) => p.id === idOf(nodes.b)), { what: "A seeing B" });
  await lan.stop(nodes.b);
  await waitFor(() => !peersOf(nodes.a).some((p) => p.id === idOf(nodes.b)), { timeoutMs: 3000, what: "B gone from A's list" });
  assert.match(nodes.a.output, /said goodbye/);
});
