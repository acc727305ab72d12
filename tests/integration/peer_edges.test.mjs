// Requests between nodes at their edges (reliability review, issue 10 item 10). Three nodes of one cluster in
// network namespaces on a bridge (traffic never leaves them), without mDNS: A names B with --peer, through a
// recording proxy in A's namespace that holds the cluster's TLS key (what one who had it could capture), and C
// is a third node.
//  - The first heartbeat to a --peer, whose id A does not know yet, used to be addressed to nobody in
//    particular: captured, it was valid at every node of the cluster for a minute. Replayed to C, it is
//    refused now.
//  - B serves a GGUF file with a newline in its name: that one model id used to make its peers refuse B's
//    whole status, dropping B from the cluster. Now B leaves that model out, once logged, and its other
//    models route.
// Needs root.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { waitFor } from "./harness.mjs";
import { clusterNodesOf, createLan, curlIn, formCluster, giveModels, nodeIdOf, peerCallIn, peerTlsKey } from "./netns.mjs";

const subnet = "10.213.96";
const proxyPort = 40080;
const hosts = {};
let lan;
let proxy;
const captured = [];

// Forwards every request to B's node as it is, and prints each one as a JSON line before answering. The
// traffic between nodes is TLS with the cluster's key (src/net/peer_tls.h): someone on the path sees nothing
// of it, so this proxy is given the key (as if it had leaked) to test the layer under TLS, the proofs.
const proxySource = (peerKey) => `
const http = require("http");
const https = require("https");
const tls = require("tls");
const key = Buffer.from(${JSON.stringify(peerKey.key.toString("hex"))}, "hex");
const identity = ${JSON.stringify(peerKey.identity)};
const options = { minVersion: "TLSv1.3", maxVersion: "TLSv1.3", ciphers: "TLS_AES_128_GCM_SHA256" };
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    console.log(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString("utf8") }));
    const out = https.request({ host: ${JSON.stringify(`${subnet}.2`)}, port: 32768, method: req.method, path: req.url,
      headers: req.headers, ...options, pskCallback: () => ({ psk: key, identity }), checkServerIdentity: () => undefined },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
    out.on("error", () => res.destroy());
    out.end(body);
  });
});
tls.createServer({ ...options, pskCallback: (socket, id) => (id === identity ? key : null) },
  (socket) => server.emit("connection", socket)).listen(${proxyPort}, "127.0.0.1", () => console.log("proxy up"));
`;

before(async () => {
  lan = createLan("qpe", subnet);
  hosts.a = lan.addHost("a", 1);
  hosts.b = lan.addHost("b", 2);
  hosts.c = lan.addHost("c", 3);
  await giveModels(hosts.b, { "good-model": "tiny-a", "bad\nmodel": "tiny-a" });
  formCluster(hosts.a, hosts.b, hosts.c);
  proxy = spawn("ip", ["netns", "exec", hosts.a.ns, process.execPath, "-e", proxySource(peerTlsKey(hosts.a.stateDir))],
    { stdio: ["ignore", "pipe", "pipe"] });
  let pending = "";
  let up;
  const ready = new Promise((r) => (up = r));
  proxy.stdout.on("data", (d) => {
    pending += d;
    for (let cut = pending.indexOf("\n"); cut >= 0; cut = pending.indexOf("\n")) {
      const line = pending.slice(0, cut);
      pending = pending.slice(cut + 1);
      if (line === "proxy up") up();
      else if (line.startsWith("{")) captured.push(JSON.parse(line));
    }
  });
  await lan.start(hosts.b, ["--no-mdns", "--models-dir", hosts.b.models, "--model-slots", "1", "--model-threads", "1"]);
  await lan.start(hosts.c, ["--no-mdns", "--no-embedded"]);
  await ready;
  await lan.start(hosts.a, ["--no-mdns", "--no-embedded", "--heartbeat-interval", "1", "--peer", `127.0.0.1:${proxyPort}`]);
});

after(async () => {
  try {
    for (const h of Object.values(hosts)) await lan.stop(h);
  } finally {
    if (proxy && proxy.exitCode === null) proxy.kill("SIGKILL");
    lan?.destroy();
  }
});

const peerOf = (from, to) => clusterNodesOf(from).data.find((n) => n.id === nodeIdOf(to));
const proofHeaders = (request) =>
  Object.fromEntries(Object.entries(request.headers).filter(([name]) => name.startsWith("x-quorum-")));

test("a captured first heartbeat to a --peer, replayed to another node of the cluster, is refused", async () => {
  const first = await waitFor(() => captured.find((r) => r.method === "POST" && r.url === "/v1/cluster/heartbeat"),
    { timeoutMs: 15000, what: "A's first heartbeat through the proxy" });
  // Replayed the way a node would send it (in TLS with the cluster's key), so that the proof alone decides.
  const replay = peerCallIn(hosts.c.ns, peerTlsKey(hosts.c.stateDir), "POST",
    `http://${hosts.c.address}:32768/v1/cluster/heartbeat`, { headers: proofHeaders(first), body: first.body });
  assert.equal(replay.status, 401, replay.body);
  assert.equal(JSON.parse(replay.body).error.code, "invalid_peer_proof");
  assert.match(JSON.parse(replay.body).error.message, /addressed to another node/);
  assert.equal(first.headers["x-quorum-to"], nodeIdOf(hosts.b), "addressed to B, although A was given only an address");

  // How A learned B's id: the one request addressed to nobody in particular. Replayed to C, it changes nothing.
  const question = captured.find((r) => r.url === "/v1/cluster/identity");
  assert.ok(question, "A asked who answers at the --peer's address first");
  assert.equal(question.method, "GET");
  assert.equal(question.headers["x-quorum-to"], "");
  const asked = peerCallIn(hosts.c.ns, peerTlsKey(hosts.c.stateDir), "GET",
    `http://${hosts.c.address}:32768/v1/cluster/identity`, { headers: proofHeaders(question) });
  assert.equal(asked.status, 200, asked.body);
  assert.equal(JSON.parse(asked.body).id, nodeIdOf(hosts.c));
  assert.ok(!clusterNodesOf(hosts.c).data.some((n) => n.id === nodeIdOf(hosts.a)), "C knows nothing of A");
  // Between A and B everything works as before: each reaches the other.
  await waitFor(() => peerOf(hosts.a, hosts.b)?.state === "reachable", { what: "A reaching B" });
  await waitFor(() => peerOf(hosts.b, hosts.a)?.state === "reachable", { what: "B reaching A" });
});

test("a node with a model whose name has a newline still joins, and its other models route", async () => {
  const b = await waitFor(() => {
    const p = peerOf(hosts.a, hosts.b);
    return p?.state === "reachable" && p.models.length ? p : null;
  }, { timeoutMs: 15000, what: "A reaching B with its models" });
  assert.deepEqual(b.models.map((m) => m.id), ["good-model"]);
  const body = JSON.stringify({ model: "good-model", messages: [{ role: "user", content: "Hi" }], max_tokens: 4, ignore_eos: true });
  const r = curlIn(hosts.a.ns, "POST", "http://127.0.0.1:32768/v1/chat/completions", { body });
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).usage.completion_tokens, 4);
  // B says so in its log, once, with the newline escaped.
  await waitFor(() => hosts.b.output.includes("model 'bad\\nmodel' is not offered to peers"), { what: "B's log line" });
  assert.equal(hosts.b.output.split("model 'bad\\nmodel' is not offered to peers").length - 1, 1, "logged once");
  // B still serves it itself.
  const local = JSON.parse(curlIn(hosts.b.ns, "GET", "http://127.0.0.1:32768/v1/models").body).data.map((m) => m.id);
  assert.ok(local.includes("bad\nmodel"), JSON.stringify(local));
});
