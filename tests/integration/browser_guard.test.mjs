// What a web page on this machine cannot do with the trust the node gives to loopback, and what the clients
// that should work still do (docs/api.md, "Browsers"): a page of an opaque origin gets 403, DNS rebinding (a
// Host naming the attacker's domain) gets 421, a body a page can post without a CORS preflight gets 415, and
// an unsigned heartbeat cannot rewrite what the node knows of a peer. The openai SDK, curl with the
// documented header, and nodes of one cluster on the same machine keep working. Loopback only.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import OpenAI from "openai";
import { quorumBin, startNode, waitFor } from "./harness.mjs";
import { startScriptedEngine } from "./scripted_engine.mjs";

const execFileAsync = promisify(execFile);
let engine;
let node;

before(async () => {
  engine = await startScriptedEngine();
  node = await startNode({ args: ["--engine", `script=${engine.url}`, "--no-embedded"] });
});
after(async () => {
  await node?.stop();
  await engine?.stop();
});

// One request with exactly the headers given (node:http sends no Content-Type of its own, and lets Host be
// set, as a browser under DNS rebinding or a proxy would); resolves with { status, headers, body }.
function call(target, { to = node, method = "GET", headers = {}, body } = {}) {
  const all = { ...headers };
  if (body !== undefined) all["Content-Length"] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = http.request(`${to.url}${target}`, { method, headers: all, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

// The error in the API's shape, with `status` and `code`.
function apiError(r, status, code) {
  assert.equal(r.status, status, r.body);
  assert.match(r.headers["content-type"], /^application\/json/);
  const { error } = JSON.parse(r.body);
  assert.equal(error.type, "invalid_request_error");
  assert.equal(error.code, code);
  assert.ok("param" in error);
  return error;
}

const chatBody = JSON.stringify({ model: "vllm-reasoning", messages: [{ role: "user", content: "hi" }] });
const json = { "Content-Type": "application/json" };

test("a page of an opaque origin (Origin: null: sandboxed frame, data: or file: page) gets 403", async () => {
  const sent = engine.requests.length;
  const read = apiError(await call("/v1/models", { headers: { Origin: "null" } }), 403, "forbidden_origin");
  assert.match(read.message, /opaque origin/);
  apiError(await call("/v1/chat/completions", { method: "POST", headers: { ...json, Origin: "null" }, body: chatBody }),
    403, "forbidden_origin");
  apiError(await call("/health", { headers: { Origin: "https://evil.example" } }), 403, "forbidden_origin");
  assert.equal(engine.requests.length, sent, "nothing reached the engine");
  // Pages served from this machine's loopback names, and clients that send no Origin, are served.
  assert.equal((await call("/v1/models", { headers: { Origin: "http://localhost:3000" } })).status, 200);
  assert.equal((await call("/v1/models")).status, 200);
});

test("DNS rebinding: a Host naming another domain gets 421 on every path that reads", async () => {
  for (const target of ["/health", "/v1/models", "/v1/cluster/nodes", "/metrics"]) {
    for (const host of [`evil.example:${node.port}`, "evil.example", `localhost.evil.example:${node.port}`]) {
      const error = apiError(await call(target, { headers: { Host: host } }), 421, "misdirected_host");
      assert.ok(error.message.includes(host), error.message);
    }
    apiError(await call(target, { headers: { Host: `localhost:${node.port + 1}` } }), 421, "misdirected_host");
    for (const host of [`localhost:${node.port}`, `127.0.0.1:${node.port}`, `LOCALHOST:${node.port}`, "127.0.0.1"]) {
      assert.equal((await call(target, { headers: { Host: host } })).status, 200, `${target} with Host ${host}`);
    }
  }
  // The node's own host name is its own too (`curl http://$(hostname):PORT` where it resolves to loopback).
  assert.equal((await call("/health", { headers: { Host: `${os.hostname()}:${node.port}` } })).status, 200);
});

test("a POST body not sent as JSON (text/plain, a form, no type) gets 415 saying which header to add", async () => {
  const sent = engine.requests.length;
  const bodies = {
    "/v1/chat/completions": chatBody,
    "/v1/completions": JSON.stringify({ model: "vllm-reasoning", prompt: "hi" }),
    "/v1/embeddings": JSON.stringify({ model: "vllm-reasoning", input: "hi" }),
  };
  for (const [target, body] of Object.entries(bodies)) {
    for (const type of ["text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", undefined]) {
      const headers = type === undefined ? {} : { "Content-Type": type };
      const error = apiError(await call(target, { method: "POST", headers, body }), 415, "unsupported_media_type");
      assert.ok(error.message.includes("-H 'Content-Type: application/json'"), error.message);
      assert.ok(error.message.includes(type === undefined ? "no Content-Type" : `'${type}'`), error.message);
    }
  }
  assert.equal(engine.requests.length, sent, "nothing reached the engine");
});

test("application/json with a charset is JSON", async () => {
  const r = await call("/v1/chat/completions", {
    method: "POST", headers: { "Content-Type": "application/json; charset=utf-8" }, body: chatBody });
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).choices[0].message.content, "Answer.");
});

test("curl as the README shows it answers; without the header, the 415 names the fix", async () => {
  // Asynchronously: the scripted engine answers from this process.
  const curl = async (...args) => {
    const { stdout } = await execFileAsync("curl", ["-s", "-w", "\n%{http_code}", `${node.url}/v1/chat/completions`, ...args], { timeout: 20000 });
    const cut = stdout.lastIndexOf("\n");
    return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
  };
  const bare = await curl("-d", chatBody);
  assert.equal(bare.status, 415, bare.body);
  assert.match(JSON.parse(bare.body).error.message, /-H 'Content-Type: application\/json'.*'application\/x-www-form-urlencoded'/);
  const fixed = await curl("-H", "Content-Type: application/json", "-d", chatBody);
  assert.equal(fixed.status, 200, fixed.body);
  assert.equal(JSON.parse(fixed.body).choices[0].message.content, "Answer.");
});

test("the openai SDK works unchanged: models, a completion, a stream", async () => {
  const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "unused", maxRetries: 0 });
  assert.ok((await client.models.list()).data.some((m) => m.id === "vllm-reasoning"));
  const answer = await client.chat.completions.create({ model: "vllm-reasoning", messages: [{ role: "user", content: "hi" }] });
  assert.equal(answer.choices[0].message.content, "Answer.");
  const stream = await client.chat.completions.create({ model: "vllm-reasoning", messages: [{ role: "user", content: "hi" }], stream: true });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  assert.equal(text, "Answer.");
});

test("nodes on one machine are peers by their proofs; an unsigned heartbeat from loopback gets 401 and rewrites nothing", async (t) => {
  const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), "quorum-guard-")));
  t.after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const token = execFileSync(quorumBin(), ["cluster", "init", "--state-dir", dirs[0]], { encoding: "utf8" }).trim().split("\n").at(-1);
  execFileSync(quorumBin(), ["cluster", "join", token, "--state-dir", dirs[1]]);
  // On loopback only: no mDNS, and the nodes reach each other at 127.0.0.1.
  const common = ["--no-mdns", "--advertise", "127.0.0.1", "--no-embedded", "--heartbeat-interval", "1"];
  const b = await startNode({ stateDir: dirs[1], args: [...common, "--engine", `script=${engine.url}`] });
  t.after(() => b.stop());
  const a = await startNode({ stateDir: dirs[0], args: [...common, "--peer", `127.0.0.1:${b.port}`] });
  t.after(() => a.stop());
  const bId = JSON.parse(fs.readFileSync(path.join(dirs[1], "node.json"), "utf8")).id;
  const bAsSeenByA = async () => JSON.parse((await call("/v1/cluster/nodes", { to: a })).body).data.find((n) => n.id === bId);
  await waitFor(async () => (await bAsSeenByA())?.models.some((m) => m.id === "vllm-reasoning"), { what: "A knowing B's models" });

  // A forwards to B (signed, Host 127.0.0.1:B's port): B takes it as a peer's request.
  const forwarded = await call("/v1/chat/completions", { to: a, method: "POST", headers: json, body: chatBody });
  assert.equal(forwarded.status, 200, forwarded.body);
  assert.equal(forwarded.headers["x-quorum-node-id"], bId);

  // A page on A's machine posts B's id with no models at port 1: refused, and B stays as it was.
  const before = await bAsSeenByA();
  const forged = JSON.stringify({ id: bId, name: "forged", version: "0", port: 1, models: [], engines: [], in_flight: 0, capacity: 1 });
  const error = apiError(await call("/v1/cluster/heartbeat", { to: a, method: "POST", headers: json, body: forged }), 401, "invalid_peer_proof");
  assert.match(error.message, /peer proof/);
  const now = await bAsSeenByA();
  assert.equal(now.state, "reachable");
  assert.equal(now.name, before.name);
  assert.equal(now.port, b.port);
  assert.deepEqual(now.models, before.models);
});
