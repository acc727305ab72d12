// The LAN cluster end to end, with real multicast: three nodes A, B and C of one cluster, each in its own
// network namespace on a bridge (traffic never leaves these namespaces), each running the embedded engine
// with its own tiny generated models: A has tiny-a, B has tiny-b and "shared", C has tiny-c and "shared".
// They find each other by themselves; a request sent to any node reaches a node that holds the model (the
// unmodified openai SDK, run inside A's namespace); and faults are survived: a holder killed before the
// request, a holder killed mid-stream, a node that falls silent, a node that restarts. Needs root.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { modelsDir, quorumBin, waitFor } from "./harness.mjs";
import { clusterNodesOf, createLan, curlIn, formCluster, nodeIdOf } from "./netns.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const hosts = {};
let lan;

// Timings short enough for a test: heartbeats every second, a silent node pruned after 6 s.
const nodeArgs = (host) => ["--name", `node-${host.name}`, "--models-dir", host.models, "--probe-interval", "1", "--heartbeat-interval", "1",
  "--prune-after", "6", "--model-slots", "2", "--model-threads", "1"];

before(async () => {
  lan = createLan("qcl", "10.213.91");
  const cache = await modelsDir();
  const models = { a: ["tiny-a"], b: ["tiny-b", "shared"], c: ["tiny-c", "shared"] };
  for (const [name, index] of [["a", 1], ["b", 2], ["c", 3]]) {
    const host = lan.addHost(name, index);
    host.models = fs.mkdtempSync(path.join(os.tmpdir(), `quorum-qcl-models-${name}-`));
    // Different ids, same tiny weights: the model id is the file name.
    for (const id of models[name]) {
      fs.copyFileSync(path.join(cache, id === "tiny-b" ? "tiny-b.gguf" : "tiny-a.gguf"), path.join(host.models, `${id}.gguf`));
    }
    hosts[name] = host;
  }
  formCluster(hosts.a, hosts.b, hosts.c);
  await Promise.all(Object.values(hosts).map((h) => lan.start(h, nodeArgs(h))));
});

after(async () => {
  // A clean exit is part of the test (under ASan it also means no leak or memory error).
  try {
    for (const h of Object.values(hosts)) await lan.stop(h);
  } finally {
    lan?.destroy();
  }
  for (const h of Object.values(hosts)) fs.rmSync(h.models, { recursive: true, force: true });
});

const peer = (from, to) => clusterNodesOf(from).data.find((n) => n.id === nodeIdOf(to));
const reachable = (from, to) => peer(from, to)?.state === "reachable";

function modelsOf(host) {
  const r = curlIn(host.ns, "GET", "http://127.0.0.1:32768/v1/models");
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body).data;
}

// The openai SDK, inside the namespace of `host`, against its node.
function sdk(host, params) {
  const r = spawnSync("ip", ["netns", "exec", host.ns, process.execPath, path.join(here, "sdk_client.mjs"),
    "http://127.0.0.1:32768/v1", JSON.stringify(params)], { encoding: "utf8", timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1));
}

const ask = (model, extra = {}) => ({ model, messages: [{ role: "user", content: "Hello there" }], max_tokens: 8,
  temperature: 0, ignore_eos: true, ...extra });

async function allReachable() {
  for (const from of Object.values(hosts)) {
    for (const to of Object.values(hosts)) {
      if (from !== to) await waitFor(() => reachable(from, to), { timeoutMs: 10000, what: `${from.name} reaching ${to.name}` });
    }
  }
}

test("three nodes form a cluster by themselves within 5 s, each knowing the others' models", async () => {
  const started = Date.now();
  await allReachable();
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  await waitFor(() => peer(hosts.a, hosts.c).models.map((m) => m.id).sort().join() === "shared,tiny-c",
    { what: "C's models as A knows them" });
  const b = peer(hosts.a, hosts.b);
  assert.equal(b.address, hosts.b.address);
  assert.deepEqual(b.engines, ["llamacpp"]);
  assert.equal(b.capacity, 2, "the embedded engine's slots");
});

test("/v1/models on any node lists the whole cluster's models, each once, with the nodes that hold it", async () => {
  await allReachable();
  for (const host of Object.values(hosts)) {
    const models = await waitFor(() => {
      const m = modelsOf(host);
      return m.length === 4 && m.every((x) => x.quorum.nodes.length) ? m : null;
    }, { what: `${host.name}'s cluster-wide model list` });
    const holders = Object.fromEntries(models.map((m) => [m.id, m.quorum.nodes.map((n) => n.id).sort()]));
    assert.deepEqual(holders, {
      "tiny-a": [nodeIdOf(hosts.a)],
      "tiny-b": [nodeIdOf(hosts.b)],
      "tiny-c": [nodeIdOf(hosts.c)],
      shared: [nodeIdOf(hosts.b), nodeIdOf(hosts.c)].sort(),
    }, `as listed by ${host.name}`);
  }
});

test("`quorum nodes` shows every node with state, models and in-flight, and agrees with /v1/models", async () => {
  await allReachable();
  const run = (...args) => spawnSync("ip", ["netns", "exec", hosts.a.ns, quorumBin(), "nodes", ...args],
    { encoding: "utf8", timeout: 10000 });
  const json = JSON.parse(run("--json").stdout);
  const fromNodes = new Map();
  for (const n of [json.self, ...json.data]) {
    for (const m of n.models) fromNodes.set(m.id, [...(fromNodes.get(m.id) ?? []), n.id].sort());
  }
  const fromModels = new Map(modelsOf(hosts.a).map((m) => [m.id, m.quorum.nodes.map((n) => n.id).sort()]));
  assert.deepEqual(fromNodes, fromModels);
  const table = run();
  assert.equal(table.status, 0, table.stderr);
  const rowOf = (host) => table.stdout.split("\n").find((l) => l.includes(nodeIdOf(host)));
  assert.match(rowOf(hosts.a), /this node\s+0\/2\s+-\s+tiny-a/);
  assert.match(rowOf(hosts.c), new RegExp(`^node-c\\s.*${hosts.c.address}:32768\\s+reachable\\s+0/2\\s+\\d+\\.\\d s ago\\s+(tiny-c|shared)`));
  // `quorum models`: the cluster's models, with the nodes that hold each.
  const models = spawnSync("ip", ["netns", "exec", hosts.a.ns, quorumBin(), "models"], { encoding: "utf8", timeout: 10000 });
  assert.match(models.stdout, /^MODEL\s+LOADED\s+ENGINES\s+NODES$/m);
  assert.match(models.stdout, /^tiny-a\s+(yes|no)\s+llamacpp\s+node-a$/m);
  assert.match(models.stdout, /^shared\s+(yes|no)\s+-\s+node-(b, node-c|c, node-b)$/m);
});

test("the openai SDK on A streams from the model only C holds; the response names C", async () => {
  await allReachable();
  const r = sdk(hosts.a, ask("tiny-c", { stream: true, max_tokens: 12 }));
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  assert.equal(r.finish_reason, "length");
  assert.ok(r.content.length > 0 && r.chunks >= 12, JSON.stringify(r));
  assert.equal(r.headers["x-quorum-node-id"], nodeIdOf(hosts.c));
  assert.equal(r.headers["x-quorum-node"], "node-c");
  // Non-streaming, and from another node: B asks for A's model.
  const plain = sdk(hosts.b, ask("tiny-a"));
  assert.equal(plain.error, undefined, JSON.stringify(plain.error));
  assert.equal(plain.model, "tiny-a");
  assert.equal(plain.usage.completion_tokens, 8);
  assert.equal(plain.headers["x-quorum-node-id"], nodeIdOf(hosts.a));
  // Embeddings go to the holder too.
  const emb = curlIn(hosts.a.ns, "POST", "http://127.0.0.1:32768/v1/embeddings", { body: JSON.stringify({ model: "tiny-c", input: "hello" }) });
  assert.equal(emb.status, 200, emb.body);
  assert.ok(JSON.parse(emb.body).data[0].embedding.length > 0);
  // A model this node holds itself is served here.
  assert.equal(sdk(hosts.a, ask("tiny-a")).headers["x-quorum-node-id"], nodeIdOf(hosts.a));
});

test("a forwarded request is never forwarded again; an unknown model is a 404 naming it", async () => {
  await allReachable();
  const body = JSON.stringify(ask("tiny-c"));
  const hop = curlIn(hosts.a.ns, "POST", "http://127.0.0.1:32768/v1/chat/completions", { headers: { "X-Quorum-Hop": "1" }, body });
  assert.equal(hop.status, 404, hop.body);
  assert.equal(JSON.parse(hop.body).error.code, "model_not_found");
  const missing = sdk(hosts.a, ask("no-such-model"));
  assert.equal(missing.error.status, 404);
  assert.match(missing.error.message, /no-such-model/);
});

test("an unauthenticated request from another namespace gets 401; a peer's heartbeat cannot be forged", async () => {
  await allReachable();
  const url = `http://${hosts.c.address}:32768/v1/chat/completions`;
  const r = curlIn(hosts.a.ns, "POST", url, { body: JSON.stringify(ask("tiny-c")) });
  assert.equal(r.status, 401, r.body);
  const hb = curlIn(hosts.a.ns, "POST", `http://${hosts.c.address}:32768/v1/cluster/heartbeat`,
    { body: JSON.stringify({ id: "intruder", port: 1, in_flight: 0, capacity: 1 }) });
  assert.equal(hb.status, 401, hb.body);
  assert.ok(!clusterNodesOf(hosts.c).data.some((n) => n.id === "intruder"));
});

// Streams a long generation through `host`'s node with curl (the raw SSE, so that the end of the stream can be
// checked byte for byte). Resolves with { output, ms } when curl exits; `firstData` resolves at the first
// content chunk.
function rawStream(host, model) {
  const body = JSON.stringify(ask(model, { stream: true, max_tokens: 1900 }));
  const proc = spawn("ip", ["netns", "exec", host.ns, "curl", "-sN", "-H", "Content-Type: application/json",
    "--data-binary", body, "http://127.0.0.1:32768/v1/chat/completions"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let onData;
  const firstData = new Promise((r) => (onData = r));
  proc.stdout.on("data", (d) => {
    output += d;
    if (output.includes('"content"')) onData();
  });
  const started = Date.now();
  const done = new Promise((r) => proc.on("exit", () => r({ output, ms: Date.now() - started })));
  return { firstData, done, proc };
}

test("a client that leaves a forwarded stream cancels it on the node that generates it", async () => {
  await allReachable();
  const stream = rawStream(hosts.a, "tiny-c");
  const selfOfC = () => clusterNodesOf(hosts.c).self;
  try {
    await stream.firstData;
    assert.equal(selfOfC().in_flight, 1, "C is generating");
    await waitFor(() => peer(hosts.a, hosts.c).in_flight === 1, { what: "A counting its request to C" });
    const metrics = curlIn(hosts.a.ns, "GET", "http://127.0.0.1:32768/metrics").body;
    assert.match(metrics, /^quorum_cluster_forwarded_in_flight\{node="node-c"\} 1$/m);
    assert.match(metrics, /^quorum_cluster_nodes\{state="reachable"\} 2$/m);
  } finally {
    stream.proc.kill("SIGKILL");
  }
  await stream.done;
  await waitFor(() => selfOfC().in_flight === 0, { timeoutMs: 3000, what: "C's generation cancelled" });
  await waitFor(() => /model=tiny-c .*status=499/.test(hosts.c.output), { timeoutMs: 3000, what: "C logging the cancelled request" });
  assert.ok(!hosts.c.output.includes('"finish_reason":"length"'));
});


test("a holder killed mid-stream: the client gets an in-band error and [DONE] within seconds, never a hang", async () => {
  await allReachable();
  const stream = rawStream(hosts.a, "tiny-c");
  await stream.firstData;
  const killedAt = Date.now();
  await lan.kill(hosts.c);
  const { output } = await stream.done;
  const took = Date.now() - killedAt;
  assert.ok(took < 5000, `the stream ended ${took} ms after the kill`);
  const events = output.split("\n\n").filter((e) => e.startsWith("data: "));
  assert.equal(events.at(-1), "data: [DONE]", output.slice(-500));
  const error = JSON.parse(events.at(-2).slice(6));
  assert.ok(error.error?.message, events.at(-2));
  assert.ok(!output.includes('"finish_reason":"length"'), "the generation did not finish before the kill");
  await lan.start(hosts.c, nodeArgs(hosts.c));
});

test("a holder that falls silent mid-stream (a laptop put to sleep): in-band error and [DONE] once its heartbeats fail", async () => {
  await allReachable();
  const stream = rawStream(hosts.a, "tiny-c");
  await stream.firstData;
  const stoppedAt = Date.now();
  hosts.c.proc.kill("SIGSTOP");
  let result;
  try {
    result = await stream.done;
  } finally {
    hosts.c.proc.kill("SIGCONT");
  }
  const took = Date.now() - stoppedAt;
  assert.ok(took < 15000, `the stream ended ${took} ms after C stopped (its connection stays open and silent)`);
  const events = result.output.split("\n\n").filter((e) => e.startsWith("data: "));
  assert.equal(events.at(-1), "data: [DONE]", result.output.slice(-500));
  assert.match(events.at(-2), /"error".*node 'node-c' stopped answering/);
  await waitFor(() => reachable(hosts.a, hosts.c), { what: "C back after SIGCONT" });
});

test("a holder killed before the request: the next holder serves it", async () => {
  await allReachable();
  // C holds "shared" warm, B cold: C is the first choice.
  assert.equal(sdk(hosts.c, ask("shared")).headers["x-quorum-node-id"], nodeIdOf(hosts.c));
  await waitFor(() => modelsOf(hosts.a).find((m) => m.id === "shared")?.quorum.nodes.find((n) => n.id === nodeIdOf(hosts.c))?.loaded,
    { what: "A knowing that C has 'shared' loaded" });
  await lan.kill(hosts.c);
  const r = sdk(hosts.a, ask("shared", { stream: true }));
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  assert.equal(r.headers["x-quorum-node-id"], nodeIdOf(hosts.b));
  assert.equal(r.finish_reason, "length");
  // C's own model has no other holder: 503, naming C (as tried, or as known not to answer).
  const gone = sdk(hosts.a, ask("tiny-c"));
  assert.equal(gone.error?.status, 503, JSON.stringify(gone));
  assert.match(gone.error.message, /node 'node-c'/);
});

test("a killed node is marked unreachable, then pruned; it rejoins when restarted", async () => {
  // C was killed by the previous test (no goodbye).
  if (hosts.c.proc.exitCode === null && hosts.c.proc.signalCode === null) await lan.kill(hosts.c);
  await waitFor(() => peer(hosts.a, hosts.c)?.state === "unreachable", { what: "A marking C unreachable" });
  const missing = sdk(hosts.a, ask("tiny-c"));
  assert.equal(missing.error.status, 503, JSON.stringify(missing));
  assert.match(missing.error.message, /not answering/);
  await waitFor(() => !peer(hosts.a, hosts.c), { timeoutMs: 15000, what: "A pruning C" });
  assert.equal(sdk(hosts.a, ask("tiny-c")).error.status, 404);
  const restarted = Date.now();
  await lan.start(hosts.c, nodeArgs(hosts.c));
  await waitFor(() => reachable(hosts.a, hosts.c), { timeoutMs: 5000, what: "C back in A's view" });
  assert.ok(Date.now() - restarted < 5000);
  assert.equal(sdk(hosts.a, ask("tiny-c")).headers["x-quorum-node-id"], nodeIdOf(hosts.c));
});

test("a node that falls silent is marked unreachable and pruned, and is back as soon as it answers", async () => {
  await allReachable();
  hosts.b.proc.kill("SIGSTOP");
  try {
    await waitFor(() => peer(hosts.a, hosts.b)?.state === "unreachable", { what: "A marking B unreachable" });
    assert.equal(sdk(hosts.a, ask("shared")).headers["x-quorum-node-id"], nodeIdOf(hosts.c), "routed around B");
    await waitFor(() => !peer(hosts.a, hosts.b), { timeoutMs: 15000, what: "A pruning B" });
  } finally {
    hosts.b.proc.kill("SIGCONT");
  }
  await waitFor(() => reachable(hosts.a, hosts.b), { timeoutMs: 5000, what: "B back in A's view" });
  assert.equal(sdk(hosts.a, ask("tiny-b")).headers["x-quorum-node-id"], nodeIdOf(hosts.b));
});

test("a node whose LAN address changes (another Wi-Fi, a new lease) is found at its new address", async () => {
  await allReachable();
  const b = hosts.b;
  const moved = "10.213.91.12";
  // The old lease goes, a new one comes (deleting a primary address would take secondary ones with it).
  spawnSync("ip", ["-n", b.ns, "addr", "del", `${b.address}/24`, "dev", b.iface]);
  spawnSync("ip", ["-n", b.ns, "addr", "add", `${moved}/24`, "dev", b.iface]);
  b.address = moved;
  await waitFor(() => peer(hosts.a, b)?.address === moved && reachable(hosts.a, b),
    { timeoutMs: 20000, what: "A reaching B at its new address" }).catch((e) => {
    e.message += `\nA sees B as ${JSON.stringify(peer(hosts.a, b))}\n--- B ---\n${b.output.slice(-3000)}\n--- A ---\n${hosts.a.output.slice(-3000)}`;
    throw e;
  });
  assert.match(b.output, /addresses changed from \[10\.213\.91\.2\] to \[10\.213\.91\.12\]/);
  assert.equal(clusterNodesOf(b).self.address, moved);
  assert.equal(sdk(hosts.a, ask("tiny-b")).headers["x-quorum-node-id"], nodeIdOf(b));
});
