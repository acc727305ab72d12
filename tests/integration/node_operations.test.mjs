// What an operator of a node notices: embeddings from a real engine, a model held by two engines surviving
// the loss of one, one log line per request, connections to engines kept and renewed, and a graceful stop
// that lets the answer in flight finish.
import { test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { spawnSync } from "node:child_process";
import { startLlamaServer, startNode, modelsDir, readSse, waitFor, quorumBin } from "./harness.mjs";
import { startScriptedEngine } from "./scripted_engine.mjs";

const clientFor = (node) => new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "unused", maxRetries: 0 });

test("embeddings from llama-server: base64 by the SDK's default, floats on request, same vectors", async (t) => {
  const dir = await modelsDir();
  const engine = await startLlamaServer({ model: `${dir}/tiny-b.gguf`, extraArgs: ["--alias", "embed-b", "--embeddings", "--pooling", "mean"] });
  t.after(() => engine.stop());
  const node = await startNode({ args: ["--engine", `emb=${engine.url}`] });
  t.after(() => node.stop());
  const client = clientFor(node);

  const b64 = await client.embeddings.create({ model: "embed-b", input: ["hello", "world"] });
  assert.equal(b64.object, "list");
  assert.equal(b64.model, "embed-b");
  assert.deepEqual(b64.data.map((d) => d.index), [0, 1]);
  const dim = b64.data[0].embedding.length;
  assert.ok(dim > 0, "a vector came back");
  assert.ok(b64.usage.prompt_tokens > 0);

  const floats = await client.embeddings.create({ model: "embed-b", input: ["hello", "world"], encoding_format: "float" });
  assert.equal(floats.data[0].embedding.length, dim);
  for (let i = 0; i < 2; i++) {
    const a = Array.from(b64.data[i].embedding);
    const b = floats.data[i].embedding;
    // base64 carries float32: the same vector to float32 precision.
    for (let k = 0; k < dim; k++) assert.ok(Math.abs(a[k] - b[k]) <= 1e-6 * Math.max(1, Math.abs(b[k])), `component ${k}`);
  }
  assert.notDeepEqual(floats.data[0].embedding, floats.data[1].embedding, "different inputs, different vectors");
});

test("a model held by two engines keeps answering when one of them stops", async (t) => {
  const dir = await modelsDir();
  const first = await startLlamaServer({ model: `${dir}/tiny-a.gguf`, extraArgs: ["--alias", "shared"] });
  t.after(() => first.stop());
  const second = await startLlamaServer({ model: `${dir}/tiny-a.gguf`, extraArgs: ["--alias", "shared"] });
  t.after(() => second.stop());
  const node = await startNode({ args: ["--engine", `one=${first.url}`, "--engine", `two=${second.url}`, "--probe-interval", "1"] });
  t.after(() => node.stop());
  const client = clientFor(node);

  const m = await client.models.retrieve("shared");
  assert.deepEqual([...m.quorum.engines].sort(), ["one", "two"]);

  const ask = () => client.chat.completions.create({ model: "shared", messages: [{ role: "user", content: "hi" }], max_tokens: 4 });
  assert.equal((await ask()).object, "chat.completion");

  await first.stop();
  // Straight after the stop, before any re-probe: the node must move to the other holder, not fail.
  for (let i = 0; i < 4; i++) {
    const r = await ask();
    assert.equal(r.choices[0].message.role, "assistant");
  }
  const logged = () => node.output().split("\n").filter((l) => l.includes("POST /v1/chat/completions") && l.includes("model=shared"));
  await waitFor(() => logged().length === 5, { timeoutMs: 5000, what: "five request log lines" });
  const afterStop = logged().slice(1);
  assert.ok(afterStop.every((l) => l.includes("engine=two") && l.includes("status=200")), afterStop.join("\n"));
});

test("one log line per request: method, path, model, engine, status, time to first token, tokens, duration", async (t) => {
  const dir = await modelsDir();
  const engine = await startLlamaServer({ model: `${dir}/tiny-a.gguf`, extraArgs: ["--alias", "logged"] });
  t.after(() => engine.stop());
  const node = await startNode({ args: ["--engine", `eng=${engine.url}`] });
  t.after(() => node.stop());
  const client = clientFor(node);

  const stream = await client.chat.completions.create({
    model: "logged", messages: [{ role: "user", content: "hi" }], max_tokens: 5, stream: true,
  });
  for await (const _ of stream);
  await assert.rejects(client.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "hi" }] }));

  const lines = () => node.output().split("\n").filter((l) => l.includes("POST /v1/chat/completions"));
  await waitFor(() => lines().length >= 2, { timeoutMs: 5000, what: "two request log lines" });
  // The streamed request's line is written when its stream ends on the node, which may come after the second
  // request's (the client has its [DONE] first): the lines are found by model, not by order.
  const ok = lines().find((l) => l.includes("model=logged"));
  const missing = lines().find((l) => l.includes("model=nope"));
  assert.match(ok, /model=logged engine=eng status=200 ttft_ms=\d+ tokens=[1-9]\d* duration_ms=[\d.]+/);
  assert.match(missing, /model=nope engine=- status=404 ttft_ms=- tokens=0 duration_ms=[\d.]+/);
  assert.equal(lines().length, 2, "exactly one line per request");
});

test("the node reuses its connection to the engine, and replaces one the engine has closed", async (t) => {
  // The engine drops idle connections after 200 ms, well before the node would.
  const engine = await startScriptedEngine({ keepAliveTimeoutMs: 200 });
  t.after(() => engine.stop());
  // One thread: each thread keeps its own connections, and the client's requests could land on either.
  const node = await startNode({ args: ["--engine", `script=${engine.url}`, "--threads", "1"] });
  t.after(() => node.stop());
  const client = clientFor(node);
  const ask = async () => {
    const r = await client.chat.completions.create({ model: "vllm-reasoning", messages: [{ role: "user", content: "x" }] });
    assert.equal(r.choices[0].message.content, "Answer.");
  };

  await ask();
  await ask();
  const [first, second] = engine.requests.slice(-2);
  assert.equal(second.remotePort, first.remotePort, "the second request came on the first one's connection");

  const closedBefore = engine.connections.closed;
  await waitFor(() => engine.connections.closed > closedBefore, { timeoutMs: 5000, what: "the engine to drop the idle connection" });
  await ask();
  assert.notEqual(engine.requests.at(-1).remotePort, first.remotePort, "a new connection");
});

test("SIGTERM: no new connections, the answer in flight finishes, the node exits 0", async (t) => {
  const engine = await startScriptedEngine();
  t.after(() => engine.stop());
  const node = await startNode({ args: ["--engine", `script=${engine.url}`, "--keepalive", "1"] });

  // slow-start answers after 2.5 s: the signal arrives while the engine is still thinking.
  const res = await fetch(`${node.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: "slow-start", messages: [{ role: "user", content: "x" }], stream: true }),
  });
  assert.equal(res.status, 200);
  const reading = readSse(res);
  await waitFor(() => engine.requests.length === 1, { timeoutMs: 5000, what: "the engine to get the request" });
  node.proc.kill("SIGTERM");
  await waitFor(
    () => fetch(`${node.url}/health`).then(() => false, () => true),
    { timeoutMs: 5000, what: "the listener to close" },
  );
  assert.match(node.output(), /received SIGTERM, shutting down/);

  const events = await reading;
  assert.equal(events.at(-1), "[DONE]");
  assert.ok(events.some((e) => e.includes('"content":"late"')), "the answer in flight arrived whole");
  const exit = await node.stop();
  assert.equal(exit.code, 0);
});

test("a second node on a port already served refuses to start instead of sharing it", async (t) => {
  const node = await startNode({ args: ["--threads", "2"] });
  t.after(() => node.stop());
  const second = spawnSync(quorumBin(), ["node", "--listen", `127.0.0.1:${node.port}`, "--threads", "2",
    "--no-autodetect", "--no-embedded", "--state-dir", node.stateDir], { encoding: "utf8", timeout: 20000 });
  assert.equal(second.status, 1, `exit status ${second.status}, output:\n${second.stderr}`);
  assert.match(second.stderr, /cannot listen on 127\.0\.0\.1:\d+/);
  const health = await fetch(`${node.url}/health`);
  assert.equal(health.status, 200, "the first node still serves");
});
