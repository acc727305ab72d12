// The node in front of a real engine (llama.cpp's llama-server with a tiny generated model), driven by the
// unmodified openai SDK and by raw HTTP where the exact wire bytes matter.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { startLlamaServer, startNode, modelsDir, readSse, waitFor, freePort } from "./harness.mjs";

let engine; // llama-server serving tiny-a as "org/tiny-a"
let node;
let client;
const MODEL = "org/tiny-a";

before(async () => {
  const dir = await modelsDir();
  engine = await startLlamaServer({ model: `${dir}/tiny-a.gguf`, extraArgs: ["--alias", MODEL] });
  node = await startNode({ args: ["--engine", `local=${engine.url}`] });
  client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "unused", maxRetries: 0 });
});

after(async () => {
  await node?.stop();
  await engine?.stop();
});

function post(path, body, init = {}) {
  return fetch(`${node.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

test("non-streaming chat through the node", async () => {
  const r = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: "user", content: "Say something" }],
    max_tokens: 8,
  });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.model, MODEL);
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(typeof r.choices[0].message.content, "string");
  assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 0, "usage reports prompt tokens");
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

test("streaming chat: role once, stable identity, finish, then [DONE] and the end of the response", async () => {
  const res = await post("/v1/chat/completions", {
    model: MODEL,
    messages: [{ role: "user", content: "Count" }],
    max_tokens: 12,
    stream: true,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^text\/event-stream/);
  assert.equal(res.headers.get("cache-control"), "no-cache");
  assert.equal(res.headers.get("x-accel-buffering"), "no");
  const events = await readSse(res); // resolves only when the server ends the response
  assert.equal(events.at(-1), "[DONE]");
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
  assert.ok(chunks.length >= 2);
  const ids = new Set(chunks.map((c) => c.id));
  const created = new Set(chunks.map((c) => c.created));
  assert.equal(ids.size, 1);
  assert.equal(created.size, 1);
  for (const c of chunks) {
    assert.equal(c.object, "chat.completion.chunk");
    assert.equal(c.model, MODEL);
  }
  assert.equal(chunks.filter((c) => c.choices[0]?.delta?.role).length, 1);
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
  const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
  assert.equal(finishes.length, 1);
  assert.ok(["stop", "length"].includes(finishes[0].choices[0].finish_reason));
  assert.ok(!chunks.some((c) => c.usage), "no usage chunk unless asked");
});

test("include_usage adds exactly one usage chunk with empty choices, last before [DONE]", async () => {
  const res = await post("/v1/chat/completions", {
    model: MODEL,
    messages: [{ role: "user", content: "Hi" }],
    max_tokens: 6,
    stream: true,
    stream_options: { include_usage: true },
  });
  const events = await readSse(res);
  assert.equal(events.at(-1), "[DONE]");
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
  const usage = chunks.filter((c) => c.usage);
  assert.equal(usage.length, 1);
  assert.deepEqual(usage[0].choices, []);
  assert.equal(chunks.at(-1), usage[0]);
  assert.ok(usage[0].usage.completion_tokens > 0);
  assert.equal(usage[0].usage.total_tokens, usage[0].usage.prompt_tokens + usage[0].usage.completion_tokens);
});

test("max_tokens ends the generation with finish_reason length (engine extensions pass through)", async () => {
  const r = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: "user", content: "Go on" }],
    max_tokens: 5,
    ignore_eos: true, // llama.cpp extension: must reach the engine untouched
  });
  assert.equal(r.choices[0].finish_reason, "length");
  assert.equal(r.usage.completion_tokens, 5);
});

test("the SDK's stream helper assembles a final completion", async () => {
  const stream = client.chat.completions.stream({
    model: MODEL,
    messages: [{ role: "user", content: "Tell me" }],
    max_tokens: 8,
    stream_options: { include_usage: true },
  });
  let deltas = "";
  stream.on("content", (d) => (deltas += d));
  const final = await stream.finalChatCompletion();
  assert.equal(final.choices[0].message.role, "assistant");
  assert.equal(final.choices[0].message.content, deltas);
  assert.ok(final.usage.completion_tokens > 0);
});

test("models.list and models.retrieve with a slash in the id", async () => {
  const page = await client.models.list();
  const ids = page.data.map((m) => m.id);
  assert.ok(ids.includes(MODEL), `models: ${ids}`);
  const m = await client.models.retrieve(MODEL); // the SDK sends org%2Ftiny-a
  assert.equal(m.id, MODEL);
  assert.equal(m.object, "model");
  assert.deepEqual(m.quorum.engines, ["local"]);
});

test("unknown model: the SDK raises NotFoundError with the node's message", async () => {
  await assert.rejects(
    client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] }),
    (err) => {
      assert.equal(err.status, 404);
      assert.equal(err.constructor.name, "NotFoundError");
      assert.equal(err.code, "model_not_found");
      assert.equal(err.param, "model");
      assert.match(err.message, /\/v1\/models/);
      return true;
    },
  );
  await assert.rejects(client.models.retrieve("nope/nothing"), (err) => err.status === 404);
});

test("invalid request: the SDK raises BadRequestError naming the field", async () => {
  await assert.rejects(
    client.chat.completions.create({ model: MODEL, messages: [] }),
    (err) => {
      assert.equal(err.status, 400);
      assert.equal(err.constructor.name, "BadRequestError");
      assert.equal(err.param, "messages");
      return true;
    },
  );
  await assert.rejects(
    client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "x" }], temperature: "hot" }),
    (err) => err.status === 400 && err.param === "temperature",
  );
});

test("malformed JSON, oversized bodies and unknown paths get OpenAI-shaped errors", async () => {
  let res = await post("/v1/chat/completions", '{"model": "x", "messages": [');
  assert.equal(res.status, 400);
  let body = await res.json();
  assert.equal(body.error.type, "invalid_request_error");
  assert.ok(body.error.message.length > 0);
  assert.ok("param" in body.error && "code" in body.error);

  res = await post("/v1/chat/completions", "x".repeat(9 * 1024 * 1024));
  assert.equal(res.status, 413);
  body = await res.json();
  assert.equal(body.error.type, "invalid_request_error");

  res = await fetch(`${node.url}/v1/nothing-here`);
  assert.equal(res.status, 404);
  body = await res.json();
  assert.match(body.error.message, /Unknown request URL/);

  // The node is still healthy afterwards.
  res = await fetch(`${node.url}/health`);
  assert.equal(res.status, 200);
});

test("text completions, streaming and not", async () => {
  const r = await client.completions.create({ model: MODEL, prompt: "Once upon", max_tokens: 4, ignore_eos: true });
  assert.equal(r.object, "text_completion");
  assert.equal(r.choices[0].finish_reason, "length");
  const stream = await client.completions.create({ model: MODEL, prompt: "Once", max_tokens: 4, stream: true });
  let n = 0;
  for await (const chunk of stream) {
    assert.equal(chunk.object, "text_completion");
    n++;
  }
  assert.ok(n >= 1);
});

test("client disconnect cancels the generation on the engine", async () => {
  const controller = new AbortController();
  const stream = await client.chat.completions.create(
    {
      model: MODEL,
      messages: [{ role: "user", content: "Go" }],
      max_tokens: 100000,
      ignore_eos: true,
      stream: true,
    },
    { signal: controller.signal },
  );
  let seen = 0;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content) seen++;
    if (seen >= 3) break; // breaking out aborts the HTTP request
  }
  // The engine's slot must go idle long before 100000 tokens could be generated.
  await waitFor(
    async () => {
      const slots = await (await fetch(`${engine.url}/slots`)).json();
      return slots.every((s) => !s.is_processing);
    },
    { timeoutMs: 10000, intervalMs: 50 },
  );
  // The node saw the client leave (499) and the engine stopped far short of the 100000 tokens asked for.
  await waitFor(() => /status=499/.test(node.output()), { timeoutMs: 5000, what: "the node's log line" });
  const metrics = await (await fetch(`${engine.url}/metrics`)).text();
  const predicted = Number(/llamacpp:tokens_predicted_total (\d+)/.exec(metrics)[1]);
  assert.ok(predicted < 20000, `engine generated ${predicted} tokens`);
});

test("metrics count requests, tokens and time to first token", async () => {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  assert.match(text, /quorum_requests_total\{endpoint="chat",engine="local",model="org\/tiny-a",status="200"\} \d+/);
  assert.match(text, /quorum_completion_tokens_total\{engine="local",model="org\/tiny-a"\} [1-9]\d*/);
  assert.match(text, /quorum_time_to_first_token_seconds_count\{engine="local",model="org\/tiny-a"\} [1-9]/);
  // A model no engine served is not a label of its own (a client could make up any number of them).
  assert.match(text, /quorum_requests_total\{endpoint="chat",engine="",model="\(unknown\)",status="404"\} \d+/);
  assert.ok(!text.includes("no-such-model"));
});
