// Several relays sharing one PostgreSQL (docs/relay.md, "Several relays"), end to end on loopback: three
// `quorum-relay serve --database postgres://… --advertise …`, one cluster with a node (a scripted engine), a
// key. The node ends up linked to its cluster's home relay (the rendezvous hash, computed here the same way);
// a streaming request with the key works through each of the three relays and is counted once; a request
// that another relay forwarded is served where it lands, never forwarded again, and forged relay-to-relay
// headers are refused. Then the home relay is killed (SIGKILL) mid-stream: the stream through a survivor ends
// in band, the node moves to the cluster's new home among the survivors, and requests through both
// survivors work again, within a deadline (polled).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import OpenAI from "openai";
import { freePort, quorumBin, readSse, relayBin, startNode, startRelay, waitFor } from "./harness.mjs";
import { pgBin, startPostgres } from "./pg_server.mjs";
import { startScriptedEngine } from "./scripted_engine.mjs";

let pg;
const cleanups = [];

const quorum = (...args) => execFileSync(quorumBin(), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
// The same without blocking this process's event loop: for the commands that go through the load balancer,
// which runs in it.
const quorumAsync = async (...args) => (await promisify(execFile)(quorumBin(), args, { encoding: "utf8" })).stdout;
const lastLine = (text) => text.trim().split("\n").at(-1);

before(async () => {
  pg = await startPostgres();
});

after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await pg?.stop();
});

// A relay on the shared database (the URL through the environment, as an operator would pass it).
async function meshRelay(databaseUrl) {
  const port = await freePort();
  const saved = process.env.QUORUM_RELAY_DATABASE;
  process.env.QUORUM_RELAY_DATABASE = databaseUrl;
  try {
    const relay = await startRelay({ port, args: ["--advertise", `http://127.0.0.1:${port}/`] });
    relay.id = fs.readFileSync(path.join(relay.dataDir, "relay-id"), "utf8").trim();
    return relay;
  } finally {
    if (saved === undefined) delete process.env.QUORUM_RELAY_DATABASE;
    else process.env.QUORUM_RELAY_DATABASE = saved;
  }
}

// A plain TCP load balancer on loopback in front of `backends` (objects with a port): each connection goes to
// the next backend in turn, or the one after when that one refuses it. What the node joins and dials.
async function startBalancer(backends) {
  let next = 0;
  const open = new Set();
  const server = net.createServer((client) => {
    open.add(client);
    client.once("close", () => open.delete(client));
    client.pause();
    const attempt = (tries) => {
      if (tries === 0) return client.destroy();
      const backend = backends[next++ % backends.length];
      const upstream = net.connect(backend.port, "127.0.0.1");
      upstream.once("error", () => attempt(tries - 1));
      upstream.once("connect", () => {
        upstream.removeAllListeners("error");
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
        client.on("close", () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(backends.length);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => {
    for (const c of open) c.destroy();
    return new Promise((r) => server.close(r));
  } };
}

// A control request to `relay` signed with the key of the node whose state is in `stateDir`, as `quorum keys`
// signs its own (relay_cluster.mjs's signedGet, with a body): the status and the JSON answer.
async function signedRequest(stateDir, relay, method, target, body = "") {
  const { node_key: seed } = JSON.parse(fs.readFileSync(path.join(stateDir, "relay.json"), "utf8"));
  const nodeId = JSON.parse(quorum("cluster", "show", "--json", "--state-dir", stateDir)).node_id;
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(seed, "base64url")]);
  const key = crypto.createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  const time = Math.floor(Date.now() / 1000);
  const nonce = crypto.randomBytes(12).toString("hex");
  const message = ["quorum-relay-control-v1", method, target, String(time), nonce].join("\n") + "\n" + body;
  const signature = crypto.sign(null, Buffer.from(message), key).toString("base64url");
  const r = await fetch(relay.url + target, {
    method, body: body || undefined,
    headers: { Authorization: `Quorum-Node ${nodeId}.${time}.${nonce}.${signature}`, "Content-Type": "application/json" },
  });
  return { status: r.status, body: await r.json() };
}

// The home relay of `clusterId` among `relays`, as mesh_home.h chooses it: the largest first 8 bytes of
// SHA-256(cluster id, NUL, relay id); the smaller id on a tie.
function homeOf(clusterId, relays) {
  let best, bestWeight;
  for (const r of relays) {
    const w = BigInt("0x" + crypto.createHash("sha256").update(`${clusterId}\0${r.id}`).digest("hex").slice(0, 16));
    if (!best || w > bestWeight || (w === bestWeight && r.id < best.id)) [best, bestWeight] = [r, w];
  }
  return best;
}

async function linkedNodes(relay) {
  try {
    return (await (await fetch(`${relay.url}/health`)).json()).nodes;
  } catch {
    return -1;
  }
}

// A streaming chat request through `relay`: status, headers and the SSE events (raw data payloads).
async function streamThrough(relay, key, model, content) {
  const r = await fetch(`${relay.url}/v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content }], stream: true, stream_options: { include_usage: true } }),
  });
  if (r.status !== 200) return { status: r.status, headers: r.headers, body: await r.text() };
  return { status: 200, headers: r.headers, events: await readSse(r) };
}

// Progress on stderr, so that a run that stops says where.
const step = (what) => process.stderr.write(`relay_mesh: ${what}\n`);

const textOf = (events) =>
  events.filter((e) => e !== "[DONE]").map((e) => JSON.parse(e)).map((e) => e.choices?.[0]?.delta?.content ?? "").join("");

test("three relays on one PostgreSQL: any relay serves the key, the home relay dies, the cluster moves", async (t) => {
  if (!pg) return t.skip("PostgreSQL 15 is not installed");
  const databaseUrl = pg.createDatabase("relay_mesh");
  const sql = (query) =>
    execFileSync(path.join(pgBin, "psql"), ["-h", pg.dir, "-U", "postgres", "-d", "relay_mesh", "-At", "-c", query], { encoding: "utf8" }).trim();

  const relays = [];
  for (let i = 0; i < 3; i++) relays.push(await meshRelay(databaseUrl));
  cleanups.push(async () => {
    for (const r of relays) {
      await r.stop().catch(() => {});
      r.remove();
    }
  });
  step(`relays ${relays.map((r) => `${r.id}@${r.port}`).join(", ")}`);
  // Every relay registered itself at its advertised URL, and they share one secret.
  await waitFor(() => sql("SELECT count(*) FROM relays") === "3", { what: "three relays in the registry" });
  assert.deepEqual(sql("SELECT id || ' ' || url FROM relays ORDER BY id").split("\n"),
    relays.map((r) => `${r.id} ${r.url}`).sort());
  assert.equal(sql("SELECT count(*) FROM mesh"), "1");

  // One cluster, its first node enrolled through the load balancer in front of the three (and so linked
  // through it), a key made through it; the node runs a scripted engine.
  const balancer = await startBalancer([...relays]);
  cleanups.push(() => balancer.close());
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-relay-mesh-"));
  cleanups.push(async () => fs.rmSync(stateDir, { recursive: true, force: true }));
  quorum("cluster", "init", "--state-dir", stateDir);
  const token = lastLine(execFileSync(relayBin(), ["token", "create", "--data", relays[0].dataDir],
    { encoding: "utf8", env: { ...process.env, QUORUM_RELAY_DATABASE: databaseUrl } }));
  await quorumAsync("relay", "join", balancer.url, token, "--state-dir", stateDir);
  const engine = await startScriptedEngine({ offer: ["echo", "endless"] });
  cleanups.push(() => engine.stop());
  const node = await startNode({ stateDir, keepStateDir: true,
    args: ["--name", "mesh-node", "--no-mdns", "--no-embedded", "--probe-interval", "1", "--engine", `script=${engine.url}`] });
  cleanups.push(() => node.stop());
  const key = lastLine(await quorumAsync("keys", "create", "mesh", "--state-dir", stateDir));
  assert.match(key, /^qk_/);
  const keyId = sql("SELECT id FROM api_keys");
  const clusterId = sql("SELECT id FROM clusters");

  step("node and key ready");
  // The node ends up at its cluster's home relay, and only there.
  const home = homeOf(clusterId, relays);
  const others = relays.filter((r) => r !== home);
  await waitFor(async () => (await linkedNodes(home)) === 1 && (await linkedNodes(others[0])) === 0 && (await linkedNodes(others[1])) === 0,
    { timeoutMs: 20000, what: `the node linked to its home relay ${home.id}` });

  step(`node at its home ${home.id}`);
  // A streaming request through each relay: the same answer, token by token; the two others forward it one hop
  // (their answer names the home). Then once more with the OpenAI SDK through a non-home relay.
  await waitFor(async () => (await streamThrough(home, key, "echo", "warm-up")).status === 200,
    { timeoutMs: 20000, what: "the node's models at the home relay" });
  for (const [i, relay] of relays.entries()) {
    const answer = await streamThrough(relay, key, "echo", `through-${i}`);
    assert.equal(answer.status, 200, `through relay ${i}: ${answer.body}`);
    assert.match(answer.headers.get("content-type"), /^text\/event-stream/);
    assert.equal(textOf(answer.events), `echo:through-${i}`);
    assert.equal(answer.events.at(-1), "[DONE]");
    assert.ok(answer.events.length >= 4, "the events pass one by one");
    if (relay === home) {
      assert.equal(answer.headers.get("x-quorum-relay-via"), null);
    } else {
      assert.equal(answer.headers.get("x-quorum-relay-home"), home.id);
      assert.equal(answer.headers.get("x-quorum-relay-via"), relay.id);
    }
  }
  const sdk = new OpenAI({ baseURL: `${others[0].url}/v1`, apiKey: key, maxRetries: 0, timeout: 60000 });
  let sdkText = "";
  for await (const chunk of await sdk.chat.completions.create({ model: "echo", messages: [{ role: "user", content: "sdk" }], stream: true })) {
    sdkText += chunk.choices[0]?.delta?.content ?? "";
  }
  assert.equal(sdkText, "echo:sdk");
  const models = await sdk.models.list();
  assert.ok(models.data.some((m) => m.id === "echo"), "/v1/models forwarded too");
  step("served through the three");
  // 1 warm-up + 3 + 1 chat requests reached the engine, each once; the usage (written every 5 s by the home
  // relay) counts each once.
  assert.equal(engine.requests.filter((r) => r.body.model === "echo").length, 5);
  await waitFor(() => sql(`SELECT coalesce(sum(requests), 0) FROM usage_daily WHERE key_id = '${keyId}'`) === "5",
    { timeoutMs: 20000, intervalMs: 250, what: "five requests in the usage" });

  // The loop guard: a request signed as forwarded by another relay is served where it lands, never forwarded
  // again (this relay has no node: no holder, and the engine sees nothing); forged headers are refused.
  const secret = sql("SELECT secret FROM mesh");
  const body = JSON.stringify({ model: "echo", messages: [{ role: "user", content: "loop" }] });
  const time = String(Math.floor(Date.now() / 1000));
  const target = "/v1/chat/completions";
  const message = ["quorum-relay-mesh-1", "POST", target, crypto.createHash("sha256").update(body).digest("hex"), time, home.id].join("\n");
  const signature = crypto.createHmac("sha256", secret).update(message).digest("hex");
  const signedTo = (relay, sig) => fetch(`${relay.url}${target}`, {
    method: "POST", body,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json",
      "X-Quorum-Mesh-From": home.id, "X-Quorum-Mesh-Time": time, "X-Quorum-Mesh-Signature": sig },
  });
  const looped = await signedTo(others[0], signature);
  assert.ok([404, 503].includes(looped.status), `served at the relay it reached: ${looped.status}`);
  assert.equal(looped.headers.get("x-quorum-relay-via"), null, "not forwarded again");
  assert.equal(engine.requests.filter((r) => r.body.model === "echo").length, 5);
  const forged = await signedTo(others[0], "0".repeat(64));
  assert.equal(forged.status, 401);
  assert.equal((await forged.json()).error.code, "invalid_mesh_signature");

  step("loop guard checked");

  // The dashboard through a relay that is not the home: the session (in the shared database) holds anywhere,
  // and a cluster's pages come from its home, where the node is linked: online in the snapshot and on the
  // live event stream. CSRF is checked at the relay the browser reached; a change made there happens at home.
  execFileSync(relayBin(), ["user", "add", "ops@example.com", "--operator", "--password-stdin", "--data", relays[0].dataDir],
    { input: "password123\n", env: { ...process.env, QUORUM_RELAY_DATABASE: databaseUrl } });
  const via = others[0];
  const signIn = await fetch(`${via.url}/api/session`, { method: "POST", body: JSON.stringify({ email: "ops@example.com", password: "password123" }),
    headers: { "Content-Type": "application/json", Origin: via.url } });
  assert.equal(signIn.status, 200, await signIn.text());
  const cookie = /quorum_session=[^;]*/.exec(signIn.headers.get("set-cookie"))[0];
  const snapshot = await fetch(`${via.url}/api/clusters/${clusterId}`, { headers: { Cookie: cookie } });
  assert.equal(snapshot.status, 200);
  assert.equal(snapshot.headers.get("x-quorum-relay-home"), home.id, "answered by the home");
  const fleet = await snapshot.json();
  assert.deepEqual(fleet.nodes.map((n) => [n.name, n.online]), [["mesh-node", true]]);
  const aborter = new AbortController();
  const stream = await fetch(`${via.url}/api/clusters/${clusterId}/events`, { headers: { Cookie: cookie }, signal: aborter.signal });
  assert.equal(stream.status, 200);
  assert.match(stream.headers.get("content-type"), /^text\/event-stream/);
  const reader = stream.body.getReader();
  let streamed = "";
  while (!streamed.includes("\n\n")) {
    const { value, done } = await reader.read();
    assert.ok(!done, "the event stream ended before its snapshot");
    streamed += new TextDecoder().decode(value);
  }
  assert.match(streamed, /^event: snapshot$/m);
  const first = JSON.parse(/^data: (.*)$/m.exec(streamed)[1]);
  assert.equal(first.nodes[0].online, true, "the node online on the forwarded event stream");
  aborter.abort();
  const keysUrl = `${via.url}/api/clusters/${clusterId}/keys`;
  const noOrigin = await fetch(keysUrl, { method: "POST", body: JSON.stringify({ name: "from-the-dashboard" }),
    headers: { Cookie: cookie, "Content-Type": "application/json" } });
  assert.equal(noOrigin.status, 403, "CSRF is checked where the browser's request arrived");
  const viaDashboard = await fetch(keysUrl, { method: "POST", body: JSON.stringify({ name: "from-the-dashboard" }),
    headers: { Cookie: cookie, "Content-Type": "application/json", Origin: via.url } });
  assert.equal(viaDashboard.status, 200);
  assert.match((await viaDashboard.json()).key, /^qk_/);
  assert.equal(sql("SELECT actor FROM audit_log WHERE action = 'key.create' ORDER BY id DESC LIMIT 1"), "ops@example.com");
  step("dashboard through a relay that is not the home");

  // Control requests go to the home too: a key is made through a relay that is not the home; the node is
  // online in the view of every relay (each answers from the home's); and the key's limit (2 a minute) holds
  // across the three relays, since it is counted at the home only.
  const made = await signedRequest(stateDir, others[1], "POST", "/v1/relay/keys", JSON.stringify({ name: "two-a-minute", rpm: 2 }));
  assert.equal(made.status, 200, JSON.stringify(made.body));
  const limitedKey = made.body.key;
  for (const relay of relays) {
    const listed = await signedRequest(stateDir, relay, "GET", "/v1/relay/nodes");
    assert.equal(listed.status, 200);
    assert.equal(listed.body.data[0].online, true, `online as relay ${relay.id} answers`);
  }
  const limits = [];
  for (const relay of [others[0], home, others[1]]) limits.push((await streamThrough(relay, limitedKey, "echo", "limited")).status);
  assert.deepEqual(limits, [200, 200, 429]);
  step("control forwarded, limits exact");
  // Mid-traffic, the home relay is killed: a stream through a survivor (forwarded to the home) ends in band.
  const survivor = others[0];
  const endless = await fetch(`${survivor.url}/v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "endless", messages: [{ role: "user", content: "x" }], stream: true }),
  });
  assert.equal(endless.status, 200);
  let pieces = 0;
  let killed;
  const cut = readSse(endless, {
    onEvent: () => {
      if (++pieces === 5) killed = (home.proc.kill("SIGKILL"), home.exited);
    },
  });
  const events = await cut;
  await killed;
  assert.ok(pieces >= 5);
  assert.equal(events.at(-1), "[DONE]");
  assert.match(events.at(-2), /"error"/, "the cut ends with an in-band error");
  const killedAt = Date.now();
  relays.splice(relays.indexOf(home), 1);
  home.remove();

  step("home killed mid-stream");
  // The registry drops the dead relay (kRelayLiveFor), the cluster's new home is one of the survivors, the
  // node moves there, and requests through both survivors work again.
  const newHome = homeOf(clusterId, relays);
  await waitFor(async () => {
    if ((await linkedNodes(newHome)) !== 1) return false;
    for (const relay of relays) {
      const answer = await streamThrough(relay, key, "echo", "after");
      if (answer.status !== 200 || textOf(answer.events) !== "echo:after") return false;
    }
    return true;
  }, { timeoutMs: 45000, intervalMs: 250, what: `the cluster served again through the survivors (new home ${newHome.id})` });
  t.diagnostic(`the cluster was served again ${Date.now() - killedAt} ms after the kill`);
  assert.equal(await linkedNodes(relays.find((r) => r !== newHome)), 0);
});
