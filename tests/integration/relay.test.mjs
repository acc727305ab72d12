// The relay end to end on loopback: quorum-relay, a node that dialled out to it with the embedded engine and
// a tiny model, and the unmodified openai SDK pointed at the relay with an API key made by `quorum keys
// create`. What a user does and sees: enrol with the operator's token, create a key, stream through the
// relay; bad, revoked and out-of-scope keys get OpenAI-shaped errors; usage counts what the engine reported;
// no prompt text reaches the relay's data or logs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { modelsDir, quorumBin, relayBin, startNode, startRelay, waitFor } from "./harness.mjs";

let relay, node, key, scopedKey, stateDir, modelDir;
const secretPrompt = "zebra-kumquat-7731 tell me";

function quorum(...args) {
  return execFileSync(quorumBin(), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
function lastLine(text) {
  return text.trim().split("\n").at(-1);
}

before(async () => {
  const cache = await modelsDir();
  modelDir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-relay-models-"));
  fs.copyFileSync(path.join(cache, "tiny-a.gguf"), path.join(modelDir, "tiny-a.gguf"));
  relay = await startRelay();
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-relay-node-"));
  quorum("cluster", "init", "--state-dir", stateDir);
  const token = lastLine(execFileSync(relayBin(), ["token", "create", "--data", relay.dataDir, "--note", "test"], { encoding: "utf8" }));
  assert.match(token, /^qe_/);
  quorum("relay", "join", relay.url, token, "--state-dir", stateDir);
  node = await startNode({ stateDir, args: ["--models-dir", modelDir, "--no-mdns", "--probe-interval", "1"] });
  key = lastLine(quorum("keys", "create", "everything", "--state-dir", stateDir));
  scopedKey = lastLine(quorum("keys", "create", "only-b", "--models", "tiny-b", "--state-dir", stateDir));
  assert.match(key, /^qk_/);
  // The node is connected and has told the relay its models.
  await waitFor(async () => {
    const r = await fetch(`${relay.url}/v1/models`, { headers: { Authorization: `Bearer ${key}` } });
    const body = await r.json();
    return r.status === 200 && body.data.some((m) => m.id === "tiny-a");
  }, { timeoutMs: 20000, what: "the node's models at the relay" });
});

after(async () => {
  await node?.stop();
  await relay?.stop();
  relay?.remove();
  fs.rmSync(modelDir, { recursive: true, force: true });
});

const client = (apiKey) => new OpenAI({ baseURL: `${relay.url}/v1`, apiKey, maxRetries: 0, timeout: 60000 });

test("an API key streams a chat completion through the relay, token by token, naming the node", async () => {
  const { data, response } = await client(key).chat.completions
    .create({ model: "tiny-a", messages: [{ role: "user", content: secretPrompt }], stream: true, max_tokens: 12,
      stream_options: { include_usage: true } })
    .withResponse();
  assert.ok(response.headers.get("x-quorum-node"), "x-quorum-node names who served");
  let content = "";
  let chunks = 0;
  let usage;
  for await (const chunk of data) {
    chunks++;
    content += chunk.choices[0]?.delta?.content ?? "";
    usage = chunk.usage ?? usage;
  }
  assert.ok(chunks >= 3, `streamed in pieces (${chunks})`);
  assert.ok(content.length > 0);
  assert.ok(usage && usage.completion_tokens > 0);
});

test("a non-streamed completion and embeddings-free /v1/models work with the same key", async () => {
  const r = await client(key).chat.completions.create({ model: "tiny-a", messages: [{ role: "user", content: "hi" }], max_tokens: 5 });
  assert.equal(r.object, "chat.completion");
  assert.ok(r.usage.completion_tokens > 0);
  const models = await client(key).models.list();
  assert.deepEqual(models.data.map((m) => m.id), ["tiny-a"]);
});

test("bad, missing and out-of-scope keys get OpenAI-shaped errors", async () => {
  const bad = await client("qk_notarealkey_0000").chat.completions
    .create({ model: "tiny-a", messages: [{ role: "user", content: "x" }] })
    .catch((e) => e);
  assert.equal(bad.status, 401);
  assert.equal(bad.code, "invalid_api_key");
  const none = await fetch(`${relay.url}/v1/chat/completions`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  assert.equal(none.status, 401);
  assert.equal((await none.json()).error.code, "invalid_api_key");
  const scoped = await client(scopedKey).chat.completions
    .create({ model: "tiny-a", messages: [{ role: "user", content: "x" }] })
    .catch((e) => e);
  assert.equal(scoped.status, 404);
  assert.equal(scoped.code, "model_not_found");
  assert.deepEqual((await client(scopedKey).models.list()).data, []);
});

test("a revoked key stops working at once", async () => {
  const doomed = lastLine(quorum("keys", "create", "doomed", "--state-dir", stateDir));
  const ok = await client(doomed).chat.completions.create({ model: "tiny-a", messages: [{ role: "user", content: "x" }], max_tokens: 2 });
  assert.ok(ok.id);
  const id = doomed.split("_")[1];
  quorum("keys", "revoke", id, "--state-dir", stateDir);
  const refused = await client(doomed).chat.completions
    .create({ model: "tiny-a", messages: [{ role: "user", content: "x" }], max_tokens: 2 })
    .catch((e) => e);
  assert.equal(refused.status, 401);
  assert.match(refused.message, /revoked/);
});

test("usage counts the requests and the tokens the engine reported; no prompt text is in the relay's data or log", async () => {
  // A key of its own, so that what other tests' requests add (written every 5 s) does not mix in.
  const counted = lastLine(quorum("keys", "create", "counted", "--state-dir", stateDir));
  const id = counted.split("_")[1];
  const rowsOf = () => JSON.parse(quorum("usage", "--json", "--state-dir", stateDir)).data.filter((r) => r.key_id === id);
  const sum = (rows, f) => rows.reduce((a, r) => a + r[f], 0);
  const answers = [];
  for (let i = 0; i < 2; i++) {
    answers.push(await client(counted).chat.completions.create({ model: "tiny-a", messages: [{ role: "user", content: secretPrompt }], max_tokens: 6 }));
  }
  await waitFor(() => sum(rowsOf(), "requests") === 2, { timeoutMs: 20000, intervalMs: 500, what: "the requests in usage (written every 5 s)" });
  const rows = rowsOf();
  assert.equal(sum(rows, "completion_tokens"), sum(answers.map((a) => a.usage), "completion_tokens"));
  assert.equal(sum(rows, "prompt_tokens"), sum(answers.map((a) => a.usage), "prompt_tokens"));
  assert.equal(sum(rows, "failed"), 0);
  for (const row of rows) assert.equal(row.model, "tiny-a");
  for (const f of fs.readdirSync(relay.dataDir)) {
    const bytes = fs.readFileSync(path.join(relay.dataDir, f));
    assert.ok(!bytes.includes("zebra-kumquat"), `no prompt text in ${f}`);
  }
  assert.ok(!relay.output().includes("zebra-kumquat"), "no prompt text in the relay's log");
});

test("the relay's /metrics shows the link and no stream left open once requests end", async () => {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  assert.match(text, /^quorum_relay_connected_nodes 1$/m);
  await waitFor(async () => /^quorum_relay_open_streams 0$/m.test(await (await fetch(`${relay.url}/metrics`)).text()),
    { timeoutMs: 5000, what: "no stream left open at the relay" });
});

test("`quorum relay leave` disconnects the running node; joining again brings it back without a restart", async () => {
  const connected = async () => (await (await fetch(`${relay.url}/health`)).json()).nodes;
  quorum("relay", "leave", "--state-dir", stateDir);
  await waitFor(async () => (await connected()) === 0, { timeoutMs: 15000, what: "the node gone from the relay" });
  const refused = await client(key).chat.completions
    .create({ model: "tiny-a", messages: [{ role: "user", content: "x" }], max_tokens: 2 })
    .catch((e) => e);
  assert.equal(refused.status, 404, "no connected node holds it");
  quorum("relay", "join", relay.url, "--state-dir", stateDir);  // the cluster is enrolled: no token
  await waitFor(async () => (await connected()) === 1, { timeoutMs: 15000, what: "the node back at the relay" });
  await waitFor(async () => {
    const r = await fetch(`${relay.url}/v1/models`, { headers: { Authorization: `Bearer ${key}` } });
    return (await r.json()).data.length === 1;
  }, { timeoutMs: 10000, what: "its model listed again" });
  const ok = await client(key).chat.completions.create({ model: "tiny-a", messages: [{ role: "user", content: "x" }], max_tokens: 2 });
  assert.ok(ok.id);
});
