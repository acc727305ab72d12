// A cluster that mDNS cannot find: two nodes on two subnets joined by a router (a namespace that forwards
// IPv4), so multicast never crosses between them, as on real networks. One names the other with --peer; that
// is enough for both to know each other (the heartbeat carries the caller's status) and for requests to be
// routed both ways. Traffic stays inside the namespaces. Needs root.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { modelsDir, waitFor } from "./harness.mjs";
import { clusterNodesOf, curlIn, destroyHost, formCluster, nodeIdOf, startNodeIn, stopNodeIn } from "./netns.mjs";

const tag = `${process.pid % 100000}`;
const router = `qpr-r-${tag}`;
const hosts = {};
const ip = (...args) => execFileSync("ip", args, { stdio: "pipe" });

// A host on its own subnet `${subnet}.0/24`, at .1, behind the router at .254.
function routedHost(name, subnet, model, cache) {
  const ns = `qpr-${name}-${tag}`;
  const inner = `v${name}${tag}`.slice(0, 15);
  const outer = `r${name}${tag}`.slice(0, 15);
  ip("netns", "add", ns);
  ip("-n", ns, "link", "set", "lo", "up");
  ip("-n", router, "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", ns);
  ip("-n", router, "addr", "add", `${subnet}.254/24`, "dev", outer);
  ip("-n", router, "link", "set", outer, "up");
  ip("-n", ns, "addr", "add", `${subnet}.1/24`, "dev", inner);
  ip("-n", ns, "link", "set", inner, "up");
  ip("-n", ns, "route", "add", "default", "via", `${subnet}.254`);
  const host = { ns, name, address: `${subnet}.1`, stateDir: fs.mkdtempSync(path.join(os.tmpdir(), `quorum-qpr-${name}-`)) };
  host.models = fs.mkdtempSync(path.join(os.tmpdir(), `quorum-qpr-models-${name}-`));
  fs.copyFileSync(path.join(cache, `${model}.gguf`), path.join(host.models, `${name}-model.gguf`));
  return host;
}

before(async () => {
  const cache = await modelsDir();
  ip("netns", "add", router);
  ip("netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1");
  hosts.d = routedHost("d", "10.213.92", "tiny-a", cache);
  hosts.e = routedHost("e", "10.213.94", "tiny-b", cache);
  formCluster(hosts.d, hosts.e);
  const common = (h) => ["--models-dir", h.models, "--probe-interval", "1", "--heartbeat-interval", "1"];
  await startNodeIn(hosts.e, common(hosts.e));
  await startNodeIn(hosts.d, [...common(hosts.d), "--peer", `${hosts.e.address}:32768`]);
});

after(async () => {
  try {
    for (const h of Object.values(hosts)) await stopNodeIn(h);
  } finally {
    cleanUp();
  }
});

function cleanUp() {
  for (const h of Object.values(hosts)) {
    destroyHost(h);
    fs.rmSync(h.models, { recursive: true, force: true });
  }
  spawnSync("ip", ["netns", "del", router]);
}

const peerOf = (from, to) => clusterNodesOf(from).data.find((n) => n.id === nodeIdOf(to));

test("--peer on one side joins two nodes that mDNS cannot find, both ways", async () => {
  await waitFor(() => peerOf(hosts.d, hosts.e)?.state === "reachable", { what: "D reaching E (its --peer)" });
  await waitFor(() => peerOf(hosts.e, hosts.d)?.state === "reachable", { what: "E reaching D (learned from D's heartbeat)" });
  assert.equal(peerOf(hosts.d, hosts.e).static, true);
  assert.equal(peerOf(hosts.d, hosts.e).address, hosts.e.address);
  assert.equal(peerOf(hosts.e, hosts.d).static, false);
  assert.equal(peerOf(hosts.e, hosts.d).address, hosts.d.address, "the address D's heartbeat came from");
  for (const h of [hosts.d, hosts.e]) assert.doesNotMatch(h.output, /mDNS: found/, "multicast does not cross the router");
});

test("requests are routed both ways between --peer nodes", async () => {
  await waitFor(() => peerOf(hosts.e, hosts.d)?.state === "reachable", { what: "E reaching D" });
  for (const [from, model, to] of [[hosts.d, "e-model", hosts.e], [hosts.e, "d-model", hosts.d]]) {
    await waitFor(() => peerOf(from, to)?.models.some((m) => m.id === model), { what: `${from.name} knowing ${model}` });
    const body = JSON.stringify({ model, messages: [{ role: "user", content: "Hi" }], max_tokens: 4, ignore_eos: true });
    const r = curlIn(from.ns, "POST", "http://127.0.0.1:32768/v1/chat/completions", { body });
    assert.equal(r.status, 200, r.body);
    const answer = JSON.parse(r.body);
    assert.equal(answer.model, model);
    assert.equal(answer.usage.completion_tokens, 4);
  }
});

// One request with curl inside `ns`, not waiting for the others: { status, body }.
function curlInAsync(ns, url, body) {
  return new Promise((resolve) => {
    const child = spawn("ip", ["netns", "exec", ns, "curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "60",
      "-H", "Content-Type: application/json", "--data-binary", body, url], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    child.on("close", () => {
      const cut = out.lastIndexOf("\n");
      resolve({ status: Number(out.slice(cut + 1)), body: out.slice(0, cut) });
    });
  });
}

test("thirty requests at once through a --peer all complete", async () => {
  // Each needs a TLS connection to E of its own while it lasts; D opens or reuses them as they come. (D sets
  // up at most 16 at a time per peer and thread, src/net/connection_pool.h; handshakes here are too quick
  // for a burst from curl to reach that: the unit tests in tests/unit/net/connection_pool_test.cpp hold the
  // waiting itself.) Thirty, because E's engine takes 4 at a time and queues 32 more (--model-queue): a
  // 37th at once would rightly be answered 429.
  await waitFor(() => peerOf(hosts.d, hosts.e)?.models.some((m) => m.id === "e-model"), { what: "D knowing e-model" });
  const body = JSON.stringify({ model: "e-model", messages: [{ role: "user", content: "Hi" }], max_tokens: 2, ignore_eos: true });
  const answers = await Promise.all(Array.from({ length: 30 }, () =>
    curlInAsync(hosts.d.ns, "http://127.0.0.1:32768/v1/chat/completions", body)));
  for (const r of answers) {
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body).usage.completion_tokens, 2);
  }
});
