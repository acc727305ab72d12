// The embedded llama.cpp engine (adapter `llamacpp`): a node with no external engine serving the tiny generated
// GGUF models (random weights, a real 32k SentencePiece tokenizer, a ChatML template) from a models folder,
// driven by the unmodified openai SDK and by raw HTTP where status codes, bodies or SSE comments matter.
//
// Every node gets its own temporary models folder with copies of the cached test models (the cache is never
// touched). Synchronisation is by polling with deadlines (waitFor), never by fixed sleeps. Things to know:
//  - /v1/models may answer from a listing up to 1 s old, so changes of `loaded` are waited for (waitLoaded);
//  - the node's log reaches us through a pipe that may lag behind an HTTP response (logLines waits);
//  - the node's `quorum_requests_in_flight` gauge tells when the engine holds a request (running or queued);
//  - keep-alive comments while a model *loads* cannot be observed with models that load in ~100 ms; they are
//    checked while a stream waits in the queue for the only slot instead.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { startNode, modelsDir, modelsFolder, readSse, waitFor } from "./harness.mjs";

// ---- helpers ----

function sdk(node) {
  return new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "unused", maxRetries: 0 });
}

function post(node, route, body, init = {}) {
  return fetch(`${node.url}${route}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    ...init,
  });
}

// /v1/models as a map id -> entry.
async function listed(node) {
  const r = await fetch(`${node.url}/v1/models`);
  assert.equal(r.status, 200);
  const body = await r.json();
  return new Map(body.data.map((m) => [m.id, m]));
}

async function loadedIds(node) {
  return [...(await listed(node)).values()].filter((m) => m.quorum.loaded).map((m) => m.id).sort();
}

// /v1/models may answer from a listing up to a second old, so a change of `loaded` is waited for.
function waitLoaded(node, id, loaded, timeoutMs = 10000) {
  return waitFor(async () => (await listed(node)).get(id)?.quorum.loaded === loaded, {
    timeoutMs,
    what: `${id} loaded=${loaded} in /v1/models`,
  });
}

// The node's Prometheus gauge of generations running on the embedded engine (0 when absent).
async function inFlight(node) {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const m = text.match(/^quorum_requests_in_flight\{engine="llamacpp",model="tiny-a"\} (\d+)/m);
  return m ? Number(m[1]) : 0;
}

function l2(v) {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

// Counts non-overlapping occurrences of `needle` in `hay`.
function occurrences(hay, needle) {
  return hay.split(needle).length - 1;
}

// Waits until the node's log holds `count` lines containing `needle` (the output pipe may lag behind the HTTP
// response), then checks that there are exactly that many.
async function logLines(node, needle, count = 1) {
  await waitFor(() => occurrences(node.output(), needle) >= count, { what: `${count} x log "${needle}"` });
  assert.equal(occurrences(node.output(), needle), count, `log lines "${needle}"`);
}

// Parses a streamed chat response (raw SSE data payloads) into text, finish reasons and usage.
function assembleChat(events) {
  assert.equal(events.at(-1), "[DONE]");
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
  let text = "";
  const finishes = [];
  let usage;
  const deltas = [];
  for (const c of chunks) {
    if (c.usage) usage = c.usage;
    const ch = c.choices[0];
    if (!ch) continue;
    if (ch.delta?.content) {
      text += ch.delta.content;
      deltas.push(ch.delta.content);
    }
    if (ch.finish_reason) finishes.push(ch.finish_reason);
  }
  return { text, finishes, usage, deltas, chunks };
}

const user = (content) => [{ role: "user", content }];

// ======================================================================================================
// One node with tiny-a plus bad files in its models folder, a --model whose file does not exist and a --model
// ID=PATH serving a copy of tiny-a under another id.
// ======================================================================================================
describe("embedded engine: API behaviour (4 slots)", () => {
  let node;
  let client;
  let dir;
  let missingPath;

  before(async () => {
    dir = await modelsFolder("tiny-a");
    fs.writeFileSync(path.join(dir, "broken.gguf"), "this is not a model, just some text\n".repeat(100));
    const whole = fs.readFileSync(path.join(dir, "tiny-a.gguf"));
    fs.writeFileSync(path.join(dir, "truncated.gguf"), whole.subarray(0, 1 << 20));
    missingPath = path.join(dir, "no-such-folder", "missing.gguf");
    const elsewhere = await modelsFolder("tiny-a"); // served under another id with --model ID=PATH
    node = await startNode({
      args: ["--models-dir", dir, "--probe-interval", "1", "--model", `ghost=${missingPath}`,
        "--model", `alias-a=${path.join(elsewhere, "tiny-a.gguf")}`],
    });
    client = sdk(node);
  });

  after(async () => {
    await node?.stop();
  });

  test("the SDK lists the folder's models, all on the llamacpp engine, none loaded yet", async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id).sort();
    assert.deepEqual(ids, ["alias-a", "broken", "ghost", "tiny-a", "truncated"]);
    for (const m of page.data) {
      assert.deepEqual(m.quorum.engines, ["llamacpp"]);
      assert.equal(m.quorum.loaded, false, `${m.id} is not loaded before any request`);
    }
  });

  test("SDK: non-streaming chat", async () => {
    const r = await client.chat.completions.create({
      model: "tiny-a",
      messages: user("Say something"),
      max_tokens: 16,
    });
    assert.equal(r.object, "chat.completion");
    assert.equal(r.model, "tiny-a");
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.choices.length, 1);
    assert.equal(r.choices[0].message.role, "assistant");
    assert.equal(typeof r.choices[0].message.content, "string");
    assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
    assert.ok(r.usage.prompt_tokens > 0);
    assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 16);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
    await logLines(node, "model 'tiny-a' loaded from ");
    await waitLoaded(node, "tiny-a", true);
  });

  test("SDK: create({stream: true}) yields the same text as the non-streaming call at temperature 0", async () => {
    const params = { model: "tiny-a", messages: user("Stream this"), max_tokens: 24, temperature: 0, ignore_eos: true };
    const whole = await client.chat.completions.create(params);
    const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
    let text = "";
    const finishes = [];
    let usage;
    let roles = 0;
    for await (const chunk of stream) {
      assert.equal(chunk.object, "chat.completion.chunk");
      if (chunk.usage) usage = chunk.usage;
      const ch = chunk.choices[0];
      if (!ch) continue;
      if (ch.delta?.role) roles++;
      text += ch.delta?.content ?? "";
      if (ch.finish_reason) finishes.push(ch.finish_reason);
    }
    assert.equal(roles, 1);
    assert.deepEqual(finishes, ["length"]);
    assert.equal(text, whole.choices[0].message.content);
    assert.equal(usage.completion_tokens, 24);
    assert.equal(usage.prompt_tokens, whole.usage.prompt_tokens);
  });

  test("SDK: the chat.completions.stream helper and finalChatCompletion", async () => {
    const stream = client.chat.completions.stream({
      model: "tiny-a",
      messages: user("Tell me"),
      max_tokens: 10,
      ignore_eos: true,
      stream_options: { include_usage: true },
    });
    let deltas = "";
    stream.on("content", (d) => (deltas += d));
    const final = await stream.finalChatCompletion();
    assert.equal(final.choices[0].message.role, "assistant");
    assert.equal(final.choices[0].message.content, deltas);
    assert.ok(deltas.length > 0);
    assert.equal(final.choices[0].finish_reason, "length");
    assert.equal(final.usage.completion_tokens, 10);
    assert.equal(final.usage.total_tokens, final.usage.prompt_tokens + 10);
  });

  test("SDK: completions endpoint, plain and streamed", async () => {
    const r = await client.completions.create({
      model: "tiny-a",
      prompt: "Once upon a time",
      max_tokens: 12,
      temperature: 0,
      ignore_eos: true,
    });
    assert.equal(r.object, "text_completion");
    assert.equal(r.model, "tiny-a");
    assert.equal(typeof r.choices[0].text, "string");
    assert.ok(r.choices[0].text.length > 0);
    assert.equal(r.choices[0].finish_reason, "length");
    assert.equal(r.usage.completion_tokens, 12);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 12);

    const stream = await client.completions.create({
      model: "tiny-a",
      prompt: "Once upon a time",
      max_tokens: 12,
      temperature: 0,
      ignore_eos: true,
      stream: true,
    });
    let text = "";
    const finishes = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
    }
    assert.equal(text, r.choices[0].text);
    assert.deepEqual(finishes, ["length"]);
  });

  test("SDK: embeddings are one unit vector per input, identical inputs give the same vector", async () => {
    const inputs = ["the sea is calm", "a ship in the harbour", "the sea is calm"];
    // The SDK asks for base64 by default and decodes it.
    const r = await client.embeddings.create({ model: "tiny-a", input: inputs });
    assert.equal(r.object, "list");
    assert.equal(r.data.length, 3);
    r.data.forEach((d, i) => {
      assert.equal(d.index, i);
      assert.equal(d.object, "embedding");
    });
    const vs = r.data.map((d) => Array.from(d.embedding));
    const dim = vs[0].length;
    assert.ok(dim > 0);
    for (const v of vs) {
      assert.equal(v.length, dim);
      assert.ok(v.every(Number.isFinite));
      assert.ok(Math.abs(l2(v) - 1) < 1e-3, `L2 norm ${l2(v)}`);
    }
    // Inputs are evaluated together, so a vector may differ in its last bits with the inputs beside it.
    for (let i = 0; i < dim; i++) assert.ok(Math.abs(vs[0][i] - vs[2][i]) < 1e-6, `identical inputs, component ${i}`);
    assert.notDeepEqual(vs[0], vs[1], "different inputs, different vectors");
    assert.ok(r.usage.prompt_tokens > 0);

    // Again, alone and as floats: the same vector.
    const again = await client.embeddings.create({ model: "tiny-a", input: "the sea is calm", encoding_format: "float" });
    assert.equal(again.data.length, 1);
    const v = again.data[0].embedding;
    assert.equal(v.length, dim);
    for (let i = 0; i < dim; i++) assert.ok(Math.abs(v[i] - vs[0][i]) < 1e-6, `component ${i}: ${v[i]} vs ${vs[0][i]}`);
  });

  test("determinism: temperature 0 (with a seed) and seeded sampling at temperature 1 repeat exactly", async () => {
    const ask = (extra) =>
      client.chat.completions
        .create({ model: "tiny-a", messages: user("Roll the dice"), max_tokens: 30, ignore_eos: true, ...extra })
        .then((r) => r.choices[0].message.content);
    const g1 = await ask({ temperature: 0, seed: 1 });
    const g2 = await ask({ temperature: 0, seed: 1 });
    assert.equal(g1, g2);
    assert.ok(g1.length > 0);
    const s1 = await ask({ temperature: 1, seed: 1234 });
    const s2 = await ask({ temperature: 1, seed: 1234 });
    assert.equal(s1, s2, "same seed, same text");
    // Different seeds usually differ: not asserted (it is only likely).
  });

  test("max_tokens and max_completion_tokens end with finish_reason length and exact completion_tokens", async () => {
    const a = await client.chat.completions.create({
      model: "tiny-a",
      messages: user("Go on and on"),
      max_tokens: 7,
      ignore_eos: true,
    });
    assert.equal(a.choices[0].finish_reason, "length");
    assert.equal(a.usage.completion_tokens, 7);
    const b = await client.chat.completions.create({
      model: "tiny-a",
      messages: user("Go on and on"),
      max_completion_tokens: 5,
      ignore_eos: true,
    });
    assert.equal(b.choices[0].finish_reason, "length");
    assert.equal(b.usage.completion_tokens, 5);
  });

  test("stop strings: the text ends right before the stop, which is never emitted, streaming or not", async () => {
    const base = { model: "tiny-a", messages: user("Write a poem about the sea"), temperature: 0, max_tokens: 48, ignore_eos: true };
    const full = (await client.chat.completions.create(base)).choices[0].message.content;
    // A 4-character stop string from the middle of the text (whole code points, no replacement characters,
    // not blank); the expected text is everything before its first occurrence.
    const cps = Array.from(full);
    let stop;
    for (let i = Math.floor(cps.length / 2); i + 4 <= cps.length && !stop; i++) {
      const s = cps.slice(i, i + 4).join("");
      if (!s.includes("\ufffd") && s.trim().length === 4 && full.indexOf(s) > 0) stop = s;
    }
    assert.ok(stop, `no usable stop string in ${JSON.stringify(full)}`);
    const expected = full.slice(0, full.indexOf(stop));

    const r = await client.chat.completions.create({ ...base, stop: ["never-appears-\u2603", stop] });
    assert.equal(r.choices[0].message.content, expected, `stop ${JSON.stringify(stop)} in ${JSON.stringify(full)}`);
    assert.equal(r.choices[0].finish_reason, "stop");
    assert.ok(r.usage.completion_tokens < 48);

    const res = await post(node, "/v1/chat/completions", { ...base, stop, stream: true, stream_options: { include_usage: true } });
    assert.equal(res.status, 200);
    const s = assembleChat(await readSse(res));
    assert.equal(s.text, expected);
    assert.deepEqual(s.finishes, ["stop"]);
    for (const d of s.deltas) assert.ok(!d.includes(stop), `a delta contains the stop string: ${JSON.stringify(d)}`);
    assert.ok(!s.text.includes(stop));
    assert.equal(s.usage.completion_tokens, r.usage.completion_tokens);
  });

  test("usage: exact prompt tokens, equal streaming and not, total = prompt + completion", async () => {
    const msgs = user("hello");
    const plain = await client.chat.completions.create({ model: "tiny-a", messages: msgs, max_tokens: 6, ignore_eos: true });
    const res = await post(node, "/v1/chat/completions", {
      model: "tiny-a",
      messages: msgs,
      max_tokens: 6,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    const streamed = assembleChat(await readSse(res)).usage;
    assert.equal(streamed.prompt_tokens, plain.usage.prompt_tokens);
    assert.equal(plain.usage.completion_tokens, 6);
    assert.equal(streamed.completion_tokens, 6);
    for (const u of [plain.usage, streamed]) assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens);

    // " hello" is one token of the SentencePiece vocabulary: four more words, four more prompt tokens.
    const longer = await client.chat.completions.create({
      model: "tiny-a",
      messages: user("hello hello hello hello hello"),
      max_tokens: 1,
    });
    assert.equal(longer.usage.prompt_tokens, plain.usage.prompt_tokens + 4);

    // The completions endpoint counts the prompt as given plus the BOS token.
    const c = await client.completions.create({ model: "tiny-a", prompt: "hello hello hello", max_tokens: 1 });
    assert.equal(c.usage.prompt_tokens, 4);
  });

  test("usage: a repeated identical request reuses the cached prompt (cached_tokens)", async () => {
    const params = { model: "tiny-a", messages: user(`A unique question ${Date.now()} about caching`), max_tokens: 4 };
    const first = await client.chat.completions.create(params);
    const second = await client.chat.completions.create(params);
    assert.equal(second.usage.prompt_tokens, first.usage.prompt_tokens);
    const cached = second.usage.prompt_tokens_details?.cached_tokens;
    assert.ok(cached > 0, `cached_tokens ${cached}`);
    // The whole prompt was seen before (the engine always re-evaluates the last prompt token).
    assert.ok(cached >= second.usage.prompt_tokens - 1 && cached <= second.usage.prompt_tokens, `cached_tokens ${cached}`);
    assert.ok(cached > (first.usage.prompt_tokens_details?.cached_tokens ?? 0));

    // A conversation's next turn: the previous turn's prompt (and usually most of its reply) is reused.
    const turn2 = await client.chat.completions.create({
      model: "tiny-a",
      messages: [...params.messages, { role: "assistant", content: second.choices[0].message.content }, { role: "user", content: "And then?" }],
      max_tokens: 4,
    });
    assert.ok(turn2.usage.prompt_tokens > second.usage.prompt_tokens + 4);
    const cached2 = turn2.usage.prompt_tokens_details?.cached_tokens;
    assert.ok(cached2 >= second.usage.prompt_tokens - 1 && cached2 < turn2.usage.prompt_tokens, `cached_tokens ${cached2}`);
  });

  test("4 concurrent streams all complete, with their own finish, counts and text", async () => {
    const prompts = ["alpha story", "beta tale", "gamma poem", "delta song"];
    const lengths = [40, 60, 80, 100];
    const body = (i, stream) => ({
      model: "tiny-a",
      messages: user(prompts[i]),
      max_tokens: lengths[i],
      temperature: 0,
      ignore_eos: true,
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    });
    // Each one alone first (greedy, so the text is known).
    const alone = [];
    for (let i = 0; i < 4; i++) alone.push((await (await post(node, "/v1/chat/completions", body(i, false))).json()).choices[0].message.content);

    const results = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const res = await post(node, "/v1/chat/completions", body(i, true));
        assert.equal(res.status, 200);
        return assembleChat(await readSse(res));
      }),
    );
    results.forEach((r, i) => {
      assert.deepEqual(r.finishes, ["length"], `stream ${i}`);
      assert.equal(r.usage.completion_tokens, lengths[i], `stream ${i}`);
      assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + lengths[i]);
      assert.equal(r.text, alone[i], `stream ${i} (run together) has the text it has alone`);
    });
  });

  test("models added to and removed from the folder appear and disappear", async () => {
    const cache = await modelsDir();
    const target = path.join(dir, "tiny-b.gguf");
    assert.ok(!(await listed(node)).has("tiny-b"));
    fs.copyFileSync(path.join(cache, "tiny-b.gguf"), target);
    try {
      const m = await waitFor(async () => (await listed(node)).get("tiny-b"), { what: "tiny-b in /v1/models" });
      assert.deepEqual(m.quorum.engines, ["llamacpp"]);
      const r = await client.chat.completions.create({ model: "tiny-b", messages: user("hi"), max_tokens: 3 });
      assert.equal(r.model, "tiny-b");
      await waitLoaded(node, "tiny-b", true);
    } finally {
      fs.rmSync(target, { force: true });
    }
    await waitFor(async () => !(await listed(node)).has("tiny-b"), { what: "tiny-b gone from /v1/models" });
    await logLines(node, "model 'tiny-b': its file is gone; unloading");
    const gone = await post(node, "/v1/chat/completions", { model: "tiny-b", messages: user("hi"), max_tokens: 3 });
    assert.equal(gone.status, 404);
    assert.equal((await gone.json()).error.code, "model_not_found");
    assert.ok((await listed(node)).has("tiny-a"));
  });

  test("bad files: not GGUF, truncated, missing --model path: 500 model_load_failed naming the file; others still served", async () => {
    const cases = [
      ["broken", /broken\.gguf/],
      ["truncated", /truncated\.gguf/],
      ["ghost", /missing\.gguf/],
    ];
    for (const [id, names] of cases) {
      for (let attempt = 0; attempt < 2; attempt++) {
        // Twice: the second request (after a load attempt) must fail the same clear way.
        const res = await post(node, "/v1/chat/completions", { model: id, messages: user("hi"), max_tokens: 3 });
        assert.equal(res.status, 500, `${id}: ${res.status}`);
        const body = await res.json();
        assert.equal(body.error.code, "model_load_failed", `${id}: ${JSON.stringify(body)}`);
        assert.match(body.error.message, names, `${id}: ${body.error.message}`);
        assert.match(body.error.message, new RegExp(`'${id}'`));
      }
    }
    // The missing file is said to be missing.
    const ghost = await (await post(node, "/v1/chat/completions", { model: "ghost", messages: user("hi") })).json();
    assert.match(ghost.error.message, /does not exist/);
    // A streaming request gets the same error as the HTTP response (nothing was sent yet).
    const s = await post(node, "/v1/chat/completions", { model: "truncated", messages: user("hi"), stream: true });
    assert.equal(s.status, 500);
    assert.equal((await s.json()).error.code, "model_load_failed");
    // The SDK surfaces it as an InternalServerError with the code.
    await assert.rejects(client.chat.completions.create({ model: "broken", messages: user("hi") }), (err) => {
      assert.equal(err.status, 500);
      assert.equal(err.code, "model_load_failed");
      return true;
    });
    // Embeddings too.
    const e = await post(node, "/v1/embeddings", { model: "truncated", input: "x" });
    assert.equal(e.status, 500);
    assert.equal((await e.json()).error.code, "model_load_failed");

    // Still listed (so that the problem is visible), never loaded; tiny-a keeps working.
    const models = await listed(node);
    for (const [id] of cases) {
      assert.ok(models.has(id), `${id} listed`);
      assert.equal(models.get(id).quorum.loaded, false);
    }
    const ok = await client.chat.completions.create({ model: "tiny-a", messages: user("still there?"), max_tokens: 4 });
    assert.equal(ok.choices.length, 1);
    assert.ok(ok.usage.completion_tokens >= 1);
  });

  test("--model ID=PATH serves a file under the given id", async () => {
    const ask = (model) =>
      client.chat.completions
        .create({ model, messages: user("Same weights?"), max_tokens: 10, temperature: 0, ignore_eos: true })
        .then((r) => {
          assert.equal(r.model, model);
          return r.choices[0].message.content;
        });
    assert.equal(await ask("alias-a"), await ask("tiny-a"), "a copy of tiny-a answers like tiny-a");
  });

  test("out-of-range sampling parameters and n > 1 are 400 naming the parameter", async () => {
    for (const [extra, param] of [
      [{ temperature: 3 }, "temperature"],
      [{ top_p: 1.5 }, "top_p"],
      [{ n: 2 }, "n"],
    ]) {
      const res = await post(node, "/v1/chat/completions", { model: "tiny-a", messages: user("hi"), max_tokens: 2, ...extra });
      assert.equal(res.status, 400, JSON.stringify(extra));
      const body = await res.json();
      assert.equal(body.error.type, "invalid_request_error");
      assert.equal(body.error.param, param, JSON.stringify(body));
    }
  });

  test("an unknown model is 404 model_not_found", async () => {
    const res = await post(node, "/v1/chat/completions", { model: "tiny-z", messages: user("hi") });
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.code, "model_not_found");
  });
});

// ======================================================================================================
// One slot, a queue of one, and a very large context: a generation that is not stopped would take minutes.
// ======================================================================================================
describe("embedded engine: one slot (queueing, 429, cancellation, keep-alive)", () => {
  let node;
  let client;
  // With --model-ctx 32768 an uncancelled `max_tokens: 100000, ignore_eos` generation runs ~32,700 tokens: at the
  // tiny models' best speed (~3,000 tokens/s) that is over 10 s, in practice far more (attention grows).
  const SERVED_PROMPTLY_MS = 5000;

  before(async () => {
    const dir = await modelsFolder("tiny-a");
    node = await startNode({
      args: ["--models-dir", dir, "--probe-interval", "1", "--model-slots", "1", "--model-queue", "1",
        "--model-ctx", "32768", "--keepalive", "1"],
    });
    client = sdk(node);
    // Load the model now, so that the tests below see a warm model.
    await client.chat.completions.create({ model: "tiny-a", messages: user("warm up"), max_tokens: 1 });
  });

  after(async () => {
    await node?.stop();
  });

  test("beyond one running and one queued request, the model answers 429 with an OpenAI error", async () => {
    const results = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const res = await post(node, "/v1/chat/completions", {
          model: "tiny-a",
          messages: user(`long request ${i}`),
          max_tokens: 400,
          ignore_eos: true,
        });
        return { status: res.status, body: await res.json() };
      }),
    );
    const refused = results.filter((r) => r.status === 429);
    const served = results.filter((r) => r.status !== 429);
    assert.ok(refused.length >= 1, `statuses: ${results.map((r) => r.status)}`);
    assert.ok(served.length >= 1, `statuses: ${results.map((r) => r.status)}`);
    for (const r of refused) {
      assert.equal(typeof r.body.error, "object", JSON.stringify(r.body));
      assert.match(r.body.error.message, /busy/);
      assert.equal(r.body.error.type, "rate_limit_error");
      assert.equal(r.body.error.code, "model_busy");
    }
    for (const r of served) {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.choices[0].finish_reason, "length");
      assert.equal(r.body.usage.completion_tokens, 400);
    }
    // The SDK raises RateLimitError for it (maxRetries 0): one request running, one queued, then a third.
    const hog = new AbortController();
    const long = post(node, "/v1/chat/completions", { model: "tiny-a", messages: user("hog"), max_tokens: 100000, ignore_eos: true },
      { signal: hog.signal }).catch((e) => e);
    let queued;
    try {
      await waitFor(async () => (await inFlight(node)) === 1, { what: "the long request in flight" });
      queued = post(node, "/v1/chat/completions", { model: "tiny-a", messages: user("wait"), max_tokens: 1 });
      await waitFor(async () => (await inFlight(node)) === 2, { what: "the second request queued" });
      await assert.rejects(client.chat.completions.create({ model: "tiny-a", messages: user("third"), max_tokens: 1 }), (err) => {
        assert.equal(err.status, 429);
        assert.equal(err.constructor.name, "RateLimitError");
        assert.equal(err.code, "model_busy");
        assert.match(err.message, /busy/);
        return true;
      });
    } finally {
      hog.abort();
    }
    assert.equal((await long).name, "AbortError");
    const q = await queued;
    assert.equal(q.status, 200);
    assert.equal((await q.json()).usage.completion_tokens, 1);
  });

  test("cancelling a stream frees the slot: the next request is served right away", async () => {
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "tiny-a", messages: user("never stop talking"), max_tokens: 100000, ignore_eos: true, stream: true },
      { signal: ac.signal },
    );
    let chunks = 0;
    const finishes = [];
    // The SDK ends the iteration quietly when its request is aborted.
    for await (const chunk of stream) {
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
      if (chunk.choices[0]?.delta?.content && ++chunks === 5) ac.abort();
    }
    assert.ok(chunks >= 5);
    assert.deepEqual(finishes, [], "the aborted stream did not finish by itself");

    // With one slot, this waits behind the cancelled generation unless the engine stopped it.
    const started = Date.now();
    const r = await client.chat.completions.create(
      { model: "tiny-a", messages: user("are you free?"), max_tokens: 8, ignore_eos: true },
      { timeout: 60000 },
    );
    const elapsed = Date.now() - started;
    assert.equal(r.choices[0].finish_reason, "length");
    assert.equal(r.usage.completion_tokens, 8);
    assert.ok(elapsed < SERVED_PROMPTLY_MS, `served after ${elapsed} ms`);
  });

  test("cancelling a plain (non-streaming) request frees the slot too", async () => {
    const ac = new AbortController();
    const pending = post(node, "/v1/chat/completions",
      { model: "tiny-a", messages: user("a very long answer"), max_tokens: 100000, ignore_eos: true },
      { signal: ac.signal });
    // The node's in-flight gauge says when the engine has taken the request.
    await waitFor(async () => (await inFlight(node)) === 1, { what: "the request in flight" });
    ac.abort();
    await assert.rejects(pending, (e) => e.name === "AbortError");
    const started = Date.now();
    const r = await client.chat.completions.create(
      { model: "tiny-a", messages: user("free now?"), max_tokens: 8, ignore_eos: true },
      { timeout: 60000 },
    );
    const elapsed = Date.now() - started;
    assert.equal(r.usage.completion_tokens, 8);
    assert.ok(elapsed < SERVED_PROMPTLY_MS, `served after ${elapsed} ms`);
    await waitFor(async () => (await inFlight(node)) === 0, { what: "nothing in flight" });
  });

  test("a client that gives up while queued frees its place in the queue", async () => {
    const hog = new AbortController();
    const hogRes = await post(node, "/v1/chat/completions",
      { model: "tiny-a", messages: user("hold the slot"), max_tokens: 100000, ignore_eos: true, stream: true },
      { signal: hog.signal });
    const hogDone = readSse(hogRes, { timeoutMs: 120000 }).catch((e) => e);
    try {
      await waitFor(async () => (await inFlight(node)) === 1, { what: "the slot taken" });
      const quitter = new AbortController();
      const gaveUp = post(node, "/v1/chat/completions", { model: "tiny-a", messages: user("I will leave"), max_tokens: 4 },
        { signal: quitter.signal }).catch((e) => e);
      await waitFor(async () => (await inFlight(node)) === 2, { what: "a request queued" });
      quitter.abort();
      assert.equal((await gaveUp).name, "AbortError");
      await waitFor(async () => (await inFlight(node)) === 1, { what: "the queued request gone" });
      // The queue (of one) has room again: this one waits instead of being refused.
      const next = post(node, "/v1/chat/completions", { model: "tiny-a", messages: user("my turn"), max_tokens: 4, ignore_eos: true });
      await waitFor(async () => (await inFlight(node)) === 2, { what: "the next request queued" });
      hog.abort();
      const r = await next;
      assert.equal(r.status, 200, await r.clone().text());
      assert.equal((await r.json()).usage.completion_tokens, 4);
    } finally {
      hog.abort();
      await hogDone;
    }
  });

  test("a stream waiting for the slot gets ': keep-alive' comments, then its tokens", async () => {
    const hog = new AbortController();
    const hogRes = await post(node, "/v1/chat/completions",
      { model: "tiny-a", messages: user("hold the slot"), max_tokens: 100000, ignore_eos: true, stream: true },
      { signal: hog.signal });
    assert.equal(hogRes.status, 200);
    let hogEvents = 0;
    const hogDone = readSse(hogRes, { onEvent: () => hogEvents++, timeoutMs: 120000 }).catch((e) => e);
    try {
      await waitFor(() => hogEvents >= 2, { what: "the slot-holding stream's first tokens" });

      const comments = [];
      const events = [];
      const waiter = await post(node, "/v1/chat/completions", {
        model: "tiny-a",
        messages: user("waiting"),
        max_tokens: 5,
        ignore_eos: true,
        stream: true,
        stream_options: { include_usage: true },
      });
      assert.equal(waiter.status, 200); // headers came with the first keep-alive
      const waiterDone = readSse(waiter, { onComment: (c) => comments.push(c), onEvent: (e) => events.push(e) });
      await waitFor(() => comments.length >= 1, { timeoutMs: 15000, what: "a keep-alive comment" });
      assert.equal(comments[0], "keep-alive");
      assert.equal(events.length, 0, "no data before the slot is free");

      hog.abort();
      await hogDone;
      const s = assembleChat(await waiterDone);
      assert.deepEqual(s.finishes, ["length"]);
      assert.equal(s.usage.completion_tokens, 5);
    } finally {
      hog.abort();
    }
  });
});

// ======================================================================================================
// Idle unloading after 1 s.
// ======================================================================================================
describe("embedded engine: idle unload and reload", () => {
  let node;
  let client;

  before(async () => {
    const dir = await modelsFolder("tiny-a");
    // A large context so that one generation can outlast the idle timeout several times over.
    node = await startNode({
      args: ["--models-dir", dir, "--probe-interval", "1", "--model-idle-timeout", "1", "--model-ctx", "16384"],
    });
    client = sdk(node);
  });

  after(async () => {
    await node?.stop();
  });

  test("a model loads on first use, stays loaded while generating, unloads after 1 s idle, reloads on use", async () => {
    assert.equal((await listed(node)).get("tiny-a").quorum.loaded, false);

    // A long generation: while it runs the model is in use, however long that takes.
    const ac = new AbortController();
    const res = await post(node, "/v1/chat/completions",
      { model: "tiny-a", messages: user("keep talking"), max_tokens: 100000, ignore_eos: true, stream: true },
      { signal: ac.signal });
    assert.equal(res.status, 200);
    const events = [];
    const done = readSse(res, { onEvent: (e) => events.push(e), timeoutMs: 120000 }).catch((e) => e);
    try {
      const t0 = Date.now();
      await waitLoaded(node, "tiny-a", true);
      await logLines(node, "model 'tiny-a' loaded from ");
      // Generating for well over the idle timeout does not unload it (that would end the stream with an error).
      await waitFor(() => Date.now() - t0 > 2500, { timeoutMs: 5000, what: "2.5 s of generation" });
      const seen = events.length;
      await waitFor(() => events.length > seen, { what: "more tokens after 2.5 s" });
      assert.ok(!events.includes("[DONE]"), "the stream is still going");
      const errs = events.filter((e) => JSON.parse(e).error);
      assert.deepEqual(errs, [], "no error in the stream");
      assert.doesNotMatch(node.output(), /idle for/);
      await waitLoaded(node, "tiny-a", true);
    } finally {
      ac.abort();
      await done;
    }

    await waitLoaded(node, "tiny-a", false);
    await logLines(node, "model 'tiny-a' idle for 1 s; unloading");

    const again = await client.chat.completions.create({ model: "tiny-a", messages: user("hi again"), max_tokens: 3 });
    assert.ok(again.usage.completion_tokens >= 1);
    await logLines(node, "model 'tiny-a' loaded from ", 2); // loaded a second time
    await logLines(node, "model 'tiny-a' idle for 1 s; unloading", 2); // and unloaded again after 1 s
    await waitLoaded(node, "tiny-a", false);
  });
});

// ======================================================================================================
// A small context (128 tokens per slot).
// ======================================================================================================
describe("embedded engine: context length", () => {
  let node;
  let client;

  before(async () => {
    const dir = await modelsFolder("tiny-a");
    node = await startNode({ args: ["--models-dir", dir, "--probe-interval", "1", "--model-ctx", "128"] });
    client = sdk(node);
  });

  after(async () => {
    await node?.stop();
  });

  test("a prompt longer than the slot context is 400 context_length_exceeded", async () => {
    const long = "hello ".repeat(200); // 200+ tokens
    const res = await post(node, "/v1/chat/completions", { model: "tiny-a", messages: user(long), max_tokens: 4 });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.code, "context_length_exceeded");
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /128/);

    const c = await post(node, "/v1/completions", { model: "tiny-a", prompt: long, max_tokens: 4 });
    assert.equal(c.status, 400);
    assert.equal((await c.json()).error.code, "context_length_exceeded");

    const s = await post(node, "/v1/chat/completions", { model: "tiny-a", messages: user(long), stream: true });
    assert.equal(s.status, 400);
    assert.equal((await s.json()).error.code, "context_length_exceeded");

    await assert.rejects(client.chat.completions.create({ model: "tiny-a", messages: user(long) }), (err) => {
      assert.equal(err.status, 400);
      assert.equal(err.code, "context_length_exceeded");
      return true;
    });

    // A prompt that fits generates until the context is full.
    const ok = await client.chat.completions.create({ model: "tiny-a", messages: user("hello"), max_tokens: 1000, ignore_eos: true });
    assert.equal(ok.choices[0].finish_reason, "length");
    assert.ok(ok.usage.completion_tokens < 1000);
    assert.ok(ok.usage.total_tokens <= 129, `total ${ok.usage.total_tokens} for a 128-token context`);
  });
});

// ======================================================================================================
// Two models and a memory budget that fits one.
// ======================================================================================================
describe("embedded engine: memory budget", () => {
  let node;
  let client;

  before(async () => {
    // One slot of 16,384 tokens, so that a generation can outlast anything the test does. The node counts a
    // loaded model as weights (~8 MiB) plus its KV cache (2 layers x 2 KV heads x (16 + 16) x 16,384 x 2 bytes
    // = 4 MiB), about 12 MiB, and a model about to load as its file (8.6 MiB) plus that cache: 20 MiB fits one
    // model, not two.
    const dir = await modelsFolder("tiny-a", "tiny-b");
    node = await startNode({
      args: ["--models-dir", dir, "--probe-interval", "1", "--model-memory", "20M", "--model-slots", "1", "--model-ctx", "16384"],
    });
    client = sdk(node);
  });

  after(async () => {
    await node?.stop();
  });

  test("alternating between two models keeps one loaded at a time, unloading the least recently used", async () => {
    assert.deepEqual(await loadedIds(node), []);
    const snapshots = [];
    const order = ["tiny-a", "tiny-b", "tiny-a", "tiny-b"];
    for (const [i, id] of order.entries()) {
      const r = await client.chat.completions.create({ model: id, messages: user(`turn ${i}`), max_tokens: 3 });
      assert.equal(r.model, id);
      await waitFor(
        async () => {
          const ids = await loadedIds(node);
          snapshots.push(ids);
          return ids.length === 1 && ids[0] === id;
        },
        { what: `only ${id} loaded` },
      );
    }
    assert.ok(snapshots.every((ids) => ids.length <= 1), `never two at once: ${JSON.stringify(snapshots)}`);
    await logLines(node, "unloading model 'tiny-a' to make room for 'tiny-b'", 2);
    await logLines(node, "unloading model 'tiny-b' to make room for 'tiny-a'", 1);
    await logLines(node, "model 'tiny-a' loaded from ", 2);
    await logLines(node, "model 'tiny-b' loaded from ", 2);
  });

  test("a model in use is not unloaded to make room: the other is a 503 naming it until it is done", async () => {
    // tiny-b is loaded (previous test); stream from tiny-a, and ask tiny-b while it runs.
    const ac = new AbortController();
    const res = await post(node, "/v1/chat/completions",
      { model: "tiny-a", messages: user("long answer"), max_tokens: 100000, ignore_eos: true, stream: true },
      { signal: ac.signal });
    assert.equal(res.status, 200);
    const events = [];
    const done = readSse(res, { onEvent: (e) => events.push(e), timeoutMs: 120000 }).catch((e) => e);
    try {
      await waitFor(() => events.length >= 2, { what: "first tokens from tiny-a" });
      // Loading tiny-b beside it would go over the budget (the road to an OOM kill), and tiny-a is serving.
      const refused = await post(node, "/v1/chat/completions", { model: "tiny-b", messages: user("meanwhile"), max_tokens: 3 });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get("retry-after"), "1");
      const { error } = await refused.json();
      assert.equal(error.type, "server_error");
      assert.equal(error.code, "model_memory_busy");
      assert.match(error.message, /'tiny-b' needs about \d+ MiB .*budget for models of 20 MiB is held by the model 'tiny-a'/);
      await waitFor(async () => (await loadedIds(node)).join() === "tiny-a", { what: "tiny-a alone loaded" });
      const seen = events.length;
      await waitFor(() => events.length > seen + 10, { what: "tiny-a still streaming" });
      assert.ok(!events.includes("[DONE]"));
      assert.deepEqual(events.filter((e) => JSON.parse(e).error), [], "no error in tiny-a's stream");
    } finally {
      ac.abort();
      await done;
    }
    // Once tiny-a is done, tiny-b takes its place.
    await waitFor(async () => (await post(node, "/v1/chat/completions", { model: "tiny-b", messages: user("now"), max_tokens: 3 })).status === 200,
      { what: "tiny-b served once tiny-a is idle" });
    await waitLoaded(node, "tiny-b", true);
    await waitLoaded(node, "tiny-a", false);
    assert.equal(occurrences(node.output(), "unloading model 'tiny-a'"), 3, "unloaded once more, when idle");
  });
});

// ======================================================================================================
// A model file replaced while the node runs.
// ======================================================================================================
describe("embedded engine: a model file replaced while serving", () => {
  let node;
  let client;
  let dir;
  let textA;
  let textB;
  const greedy = (model) =>
    client.chat.completions
      .create({ model, messages: user("Which model are you?"), max_tokens: 12, temperature: 0, ignore_eos: true })
      .then((r) => r.choices[0].message.content);
  // Writes `source`'s bytes to `target` the safe way (a temporary name in the same folder, then rename), with
  // the given modification time (Unix seconds, may be fractional).
  const replaceAtomically = (source, target, mtime) => {
    const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp`); // hidden: not a model
    fs.copyFileSync(source, tmp);
    fs.utimesSync(tmp, mtime, mtime);
    fs.renameSync(tmp, target);
  };

  before(async () => {
    const cache = await modelsDir();
    dir = await modelsFolder();
    fs.copyFileSync(path.join(cache, "tiny-a.gguf"), path.join(dir, "m.gguf"));
    fs.copyFileSync(path.join(cache, "tiny-b.gguf"), path.join(dir, "ref-b.gguf"));
    node = await startNode({ args: ["--models-dir", dir, "--probe-interval", "1"] });
    client = sdk(node);
    textA = await greedy("m");
    textB = await greedy("ref-b");
    assert.notEqual(textA, textB, "the two test models answer differently");
  });

  after(async () => {
    await node?.stop();
  });

  test("a file replaced by another model (new modification time) is reloaded and serves the new weights", async () => {
    const target = path.join(dir, "m.gguf");
    const mtime = Math.floor(fs.statSync(target).mtimeMs / 1000) + 10;
    replaceAtomically(path.join(await modelsDir(), "tiny-b.gguf"), target, mtime);
    // Noticed at the next scan of the folder (at most --probe-interval later).
    await waitFor(async () => (await greedy("m")) === textB, { what: "m answering like tiny-b" });
    await logLines(node, "model 'm': the file changed; reloading");
  });

  // The two test models have exactly the same size (as do two fine-tunes of one base model at one
  // quantization): a replacement within the same second must still be noticed (the engine compares the
  // nanosecond mtime and the inode, not just size and seconds).
  test("a same-size replacement within the same second is noticed too", async () => {
    const target = path.join(dir, "m.gguf");
    assert.equal(await greedy("m"), textB);
    const mtime = Math.floor(fs.statSync(target).mtimeMs / 1000) + 0.5; // same second, different file
    replaceAtomically(path.join(await modelsDir(), "tiny-a.gguf"), target, mtime);
    await waitFor(async () => (await greedy("m")) === textA, { timeoutMs: 4000, what: "m answering like tiny-a again" });
  });

  // Overwriting a served file in place (`cp new.gguf models/m.gguf` truncates and rewrites the same inode) while
  // it generates must not hurt the node: with memory-mapped weights this was a SIGBUS that killed every stream.
  // The engine reads weights into memory instead.
  test("overwriting a model file in place while it generates does not crash the node", async () => {
    const own = await modelsFolder("tiny-b");
    const victim = await startNode({ args: ["--models-dir", own, "--probe-interval", "1"] });
    try {
      const res = await post(victim, "/v1/chat/completions", {
        model: "tiny-b",
        messages: user("long answer"),
        max_tokens: 800, // long enough to still be generating when the copies below are done (they take ms)
        ignore_eos: true,
        stream: true,
      });
      let n = 0;
      // A deadline against a hang only: a loaded machine (or ASan) generates slowly.
      const done = readSse(res, { onEvent: () => n++, timeoutMs: 240000 });
      await waitFor(() => n >= 5, { what: "first tokens" });
      const cache = await modelsDir();
      for (let i = 0; i < 3; i++) {
        // In place, as cp does: the same inode is truncated and rewritten.
        fs.copyFileSync(path.join(cache, "tiny-a.gguf"), path.join(own, "tiny-b.gguf"));
        fs.copyFileSync(path.join(cache, "tiny-b.gguf"), path.join(own, "tiny-b.gguf"));
      }
      const seenBeforeOverwriteEnded = n;
      const events = await done.catch(async (e) => {
        const exit = await Promise.race([victim.exited, new Promise((r) => setTimeout(() => r(null), 5000))]);
        throw new Error(`the stream was cut (${e.message}); the node ${exit ? `exited with ${exit.signal ?? exit.code}` : "is still running"}`);
      });
      assert.equal(events.at(-1), "[DONE]");
      assert.ok(events.length > seenBeforeOverwriteEnded, "the stream went on generating after the file was overwritten");
      const health = await fetch(`${victim.url}/health`);
      assert.equal(health.status, 200);
    } finally {
      await victim.stop().catch(() => {}); // the crash itself is what this test reports
    }
  });
});
