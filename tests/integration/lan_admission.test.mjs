// What another machine can make a node hold before it has proven anything (reliability audit H3): a node in a
// cluster serves its peers on every interface, so any host that reaches it can open connections and send
// bodies. The node refuses an unauthenticated request from its head (401, the body never read, no
// `100 Continue`), caps connections from other machines (per address and in total, loopback apart and always
// served), bounds the bodies it reads before their proof is checked, and gives back every descriptor.
//
// The node runs in one network namespace and the "other machine" in another, on a bridge the test creates
// (nothing leaves them); the test's sockets reach the node from the other machine's addresses through a relay
// running there (ns_relay.mjs). Needs root.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import { waitFor } from "./harness.mjs";
import { createLan, formCluster, nodeIdOf, clusterSecretOf, peerHeaders, peerTlsKey, peerTlsOptions } from "./netns.mjs";
import { startRelay } from "./ns_relay.mjs";
import { RawClient, apiError } from "./raw_http.mjs";

const subnet = "10.213.131";
const sources = Array.from({ length: 10 }, (_, i) => `${subnet}.${20 + i}`); // the other machine's addresses
let lan, server, client, lanRelay, loopbackRelay, nodeId, secret, baseline;

before(async () => {
  lan = createLan("qla", subnet);
  server = lan.addHost("node", 1);
  client = lan.addHost("peer", 2);
  for (const address of sources) {
    // Extra addresses of the other machine: connections from each count apart.
    execFileSync("ip", ["-n", client.ns, "addr", "add", `${address}/24`, "dev", client.iface]);
  }
  formCluster(server);
  nodeId = nodeIdOf(server);
  secret = clusterSecretOf(server);
  await lan.start(server, ["--no-embedded", "--no-mdns"]);
  await waitFor(() => server.output.includes("listening for cluster peers on http://0.0.0.0:32768"), {
    what: `the node's LAN listener:\n${server.output}` });
  lanRelay = await startRelay(client.ns, sources.map((localAddress) => ({ host: server.address, port: 32768, localAddress })));
  loopbackRelay = await startRelay(server.ns, [{ host: "127.0.0.1", port: 32768 }]);
  await loopbackHealth(); // warm up
  baseline = { fds: fds(), rss: rssKiB() };
});

after(async () => {
  try {
    await lanRelay?.stop();
    await loopbackRelay?.stop();
    await lan?.stop(server);
  } finally {
    lan?.destroy();
  }
});

const fds = () => fs.readdirSync(`/proc/${server.proc.pid}/fd`).length;
const rssKiB = () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${server.proc.pid}/status`, "utf8"))[1]);
const fromLan = (i = 0) => RawClient.connect({ path: lanRelay.paths[i % sources.length] });
// The same in a TLS session with the cluster's key, as peers connect (the proof headers travel inside it).
const fromLanTls = (i = 0) =>
  RawClient.connectTls({ path: lanRelay.paths[i % sources.length] }, peerTlsOptions(peerTlsKey(server.stateDir)));
const host = `${subnet}.1:32768`;

// GET /health from the node's own machine; resolves to the status.
async function loopbackHealth() {
  const c = await RawClient.connect({ path: loopbackRelay.paths[0] });
  await c.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1:32768\r\nConnection: close\r\n\r\n");
  const [response] = await c.responsesAfter(1, { timeoutMs: 5000 });
  c.destroy();
  return response.status;
}

// Opens `count` connections from the other machine, spread over its first `addresses` addresses, and waits
// until the node has either kept or closed each (the kept ones stay open, idle).
async function openIdle(count, addresses) {
  const clients = await Promise.all(Array.from({ length: count }, (_, i) => fromLan(i % addresses)));
  return clients;
}

const alive = (clients) => clients.filter((c) => !c.ended).length;

// What the node holds from the other machine right now, for failure messages: its TCP connections on the port
// by state and by source address, the listeners' accept queues, and the end of its log.
function nodeSockets() {
  const lines = execFileSync("ip", ["netns", "exec", server.ns, "ss", "-Htan", "sport = :32768"], { encoding: "utf8" })
    .split("\n").filter(Boolean).map((l) => l.trim().split(/\s+/));
  const count = (list, key) => Object.entries(list.reduce((m, x) => ((m[key(x)] = (m[key(x)] ?? 0) + 1), m), {}))
    .map(([k, n]) => `${k} ${n}`).join(", ");
  const established = lines.filter((l) => l[0] === "ESTAB");
  const queues = lines.filter((l) => l[0] === "LISTEN").map((l) => `${l[3]} queue ${l[1]}`).join(", ");
  return `node's sockets: ${count(lines, (l) => l[0])}; established from ${count(established, (l) => l[4].replace(/:\d+$/, ""))}; ` +
    `listeners: ${queues}; ${fds()} descriptors (baseline ${baseline.fds}); log:\n${server.output.slice(-2000)}`;
}

// Waits until the node holds no connection from the other machine (what a test leaves behind closes before the
// next one counts connections).
async function networkConnectionsGone() {
  const fromNetwork = () => execFileSync("ip", ["netns", "exec", server.ns, "ss", "-Htn", "state", "established",
    `( sport = :32768 and src ${subnet}.1 )`], { encoding: "utf8" }).split("\n").filter(Boolean).length;
  await waitFor(() => fromNetwork() === 0, { timeoutMs: 15000, what: () => `the connections from the network closed; ${nodeSockets()}` });
}

test("Expect: 100-continue from an unauthenticated machine gets 401 and no 100 Continue", async () => {
  const c = await fromLan();
  await c.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
    "Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n");
  const [response] = await c.responsesAfter(1);
  assert.deepEqual(response.interim, [], "no 100 Continue before the refusal");
  assert.equal(response.status, 401);
  assert.equal(apiError(response).code, "invalid_api_key");
  assert.ok(!c.received.toString("latin1").includes("100 Continue"));
  c.end();
  await c.until((x) => x.ended, { what: "the close after 401" });
  c.destroy();
});

test("a peer with a valid proof gets 100 Continue, and its body is then read and served", async () => {
  const body = JSON.stringify({ model: "none", messages: [{ role: "user", content: "hi" }] });
  const headers = peerHeaders(secret, "POST", "/v1/chat/completions", { body, to: nodeId });
  const c = await fromLanTls();
  await c.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n` +
    Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n");
  await c.until((x) => x.received.toString("latin1").startsWith("HTTP/1.1 100 Continue\r\n\r\n"), {
    what: "100 Continue" });
  await c.write(body);
  const [response] = await c.responsesAfter(1);
  assert.deepEqual(response.interim, [100]);
  assert.equal(response.status, 404, "authenticated, then the usual answer: no such model");
  assert.equal(apiError(response).code, "model_not_found");
  c.destroy();
});

test("500 unauthenticated 8 MiB bodies are refused from their heads; the node's memory stays bounded", async (t) => {
  const before = rssKiB();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB())), 20);
  const piece = Buffer.alloc(64 << 10, "a");
  let written = 0;
  const one = async (i) => {
    const c = await fromLan(i);
    await c.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${8 << 20}\r\n\r\n`);
    // The body follows as fast as the connection takes it, until the answer comes.
    for (let sent = 0; sent < 8 << 20 && c.responses().length === 0 && !c.ended; sent += piece.length) {
      if (!(await c.write(piece))) break;
      written += piece.length;
    }
    const [response] = await c.responsesAfter(1);
    c.destroy();
    return response;
  };
  const statuses = [];
  try {
    for (let batch = 0; batch < 10; batch++) {
      const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => one(batch * 50 + i)));
      for (const r of responses) {
        statuses.push(r.status);
        assert.equal(apiError(r).code, "invalid_api_key");
      }
    }
  } finally {
    clearInterval(sampler);
  }
  assert.equal(statuses.length, 500);
  assert.ok(statuses.every((s) => s === 401), `statuses: ${[...new Set(statuses)]}`);
  // Each client stops at the answer: far less than the bodies was ever sent.
  assert.ok(written < 500 * (2 << 20), `answered before the bodies were sent (${written} bytes written)`);
  t.diagnostic(`clients wrote ${written >> 20} MiB in all; the node's RSS peaked ${(peak - before) >> 10} MiB above the start`);
  assert.equal(await loopbackHealth(), 200);
  await networkConnectionsGone(); // each closes once its client has (or after the lingering close's 5 s)
  if (process.env.QUORUM_SANITIZED === "1") return; // ASan's quarantine holds freed memory
  assert.ok(peak - before < 50 << 10, `the node grew by ${peak - before} KiB`);
});

// A head whose every part is right (addressee, time, nonce) but the proof, which is made up, for an 8 MiB body.
function forgedHead() {
  const headers = { "X-Quorum-Node": crypto.randomBytes(16).toString("hex"), "X-Quorum-To": nodeId,
    "X-Quorum-Time": String(Date.now()), "X-Quorum-Nonce": crypto.randomBytes(16).toString("hex"),
    "X-Quorum-Proof": crypto.randomBytes(32).toString("hex") };
  return `POST /v1/chat/completions HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${8 << 20}\r\n` + Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
}

test("bodies with forged proofs: only a bounded number is read at once, the others get 503 unread", async () => {
  const opened = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => fromLanTls(i)));
  const clients = opened.filter((o) => o.status === "fulfilled").map((o) => o.value);
  try {
    const failed = opened.filter((o) => o.status === "rejected").map((o) => o.reason.message);
    assert.deepEqual(failed, [], `TLS sessions that failed; ${nodeSockets()}`);
    for (const c of clients) await c.write(forgedHead());
    // 32 MiB of unverified bodies at most: four of these are waited for, the other eight refused at once.
    await waitFor(() => clients.filter((c) => c.responses().length === 1).length === 8, {
      what: "eight refusals before any body was sent" });
    const refused = clients.filter((c) => c.responses().length === 1);
    for (const c of refused) {
      const [response] = c.responses();
      assert.equal(response.status, 503);
      assert.equal(response.headers["retry-after"], "1");
      assert.equal(apiError(response).code, "busy");
    }
    const waiting = clients.filter((c) => c.responses().length === 0);
    assert.equal(waiting.length, 4);
    const body = Buffer.alloc(8 << 20, " ");
    await Promise.all(waiting.map((c) => c.write(body)));
    for (const c of waiting) {
      const [response] = await c.responsesAfter(1);
      assert.equal(response.status, 401);
      assert.match(apiError(response).message, /proof does not match/);
    }
  } finally {
    for (const c of clients) c.destroy();
  }
  // The budget is free again: a real peer is served.
  const peer = await fromLanTls();
  const models = peerHeaders(secret, "GET", "/v1/models", { to: nodeId });
  await peer.write(`GET /v1/models HTTP/1.1\r\nHost: ${host}\r\n` +
    Object.entries(models).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n");
  const [ok] = await peer.responsesAfter(1);
  assert.equal(ok.status, 200);
  peer.destroy();
  await networkConnectionsGone();
});

test("one address gets at most 64 connections at once", async () => {
  const clients = await openIdle(100, 1);
  try {
    await waitFor(() => alive(clients) === 64 && clients.filter((c) => c.ended).length === 36, {
      what: () => `64 connections kept and 36 closed (${alive(clients)} open); ${nodeSockets()}` });
  } finally {
    for (const c of clients) c.destroy();
  }
  await networkConnectionsGone();
});

test("2,000 idle connections from other machines: 512 kept, the rest closed, loopback still served", async () => {
  const clients = await openIdle(2000, sources.length);
  try {
    await waitFor(() => alive(clients) === 512 && clients.filter((c) => c.ended).length === 1488, {
      timeoutMs: 20000, what: () => `512 connections kept and 1488 closed (${alive(clients)} open); ${nodeSockets()}` });
    assert.equal(await loopbackHealth(), 200, "this machine is served while the network's budget is spent");
  } finally {
    // A refused connection was closed at once, before it could send anything: the held ones are idle.
    for (const c of clients) c.destroy();
  }
  // Their places are free again.
  const peer = await fromLan();
  await peer.write(`GET /health HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  const [response] = await peer.responsesAfter(1);
  assert.equal(response.status, 401);
  peer.destroy();
});

test("descriptors and memory are back to their baseline once the clients are gone", async () => {
  await waitFor(() => fds() <= baseline.fds, { timeoutMs: 15000, what: () => `descriptors back to ${baseline.fds}; ${nodeSockets()}` });
  assert.equal(await loopbackHealth(), 200);
  if (process.env.QUORUM_SANITIZED === "1") return;
  const growth = rssKiB() - baseline.rss;
  assert.ok(growth < 32 << 10, `the node's RSS is ${growth} KiB above its baseline`);
});
