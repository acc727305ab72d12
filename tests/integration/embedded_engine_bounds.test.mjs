// The embedded llama.cpp engine against work it must bound (issue 10, M5 and the memory budget): a large
// embeddings batch is cancelled when its client leaves, runs in slices between decode steps so a stream on
// the same model keeps producing tokens, and waits in a bounded queue (429 beyond it); a model larger than
// the memory budget is a clear 503, never loaded, while the node goes on serving its other models.
//
// Synchronisation is by events and polls with deadlines, never by sleeps or timing asserts:
//  - `quorum_requests_in_flight` tells when the engine holds a request (running or queued; an embeddings request
//    counts from when the node hands it to the engine);
//  - the engine logs "embeddings stopped after K of N inputs" when it abandons a batch whose client left;
//  - a model runs one embedding slice (at most 512 tokens) per decode step, so the order in which a stream and
//    a batch finish does not depend on the machine's speed: a 12-token stream needs ~13 steps, the batch ~80.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startNode, modelsDir, modelsFolder, readSse, waitFor, postJson as post } from "./harness.mjs";

const user = (content) => [{ role: "user", content }];

// A fresh models folder with copies of the named cached models, and `padded` files: copies of tiny-a grown
// (sparsely, taking no disk) to the given size in bytes, as a model that large would be.
async function paddedModelsFolder(names, padded = {}) {
  const dir = await modelsFolder(...names);
  for (const [id, size] of Object.entries(padded)) {
    const file = path.join(dir, `${id}.gguf`);
    fs.copyFileSync(path.join(await modelsDir(), "tiny-a.gguf"), file);
    fs.truncateSync(file, size);
  }
  return dir;
}

async function inFlight(node) {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const m = text.match(/^quorum_requests_in_flight\{engine="llamacpp",model="tiny-a"\} (\d+)/m);
  return m ? Number(m[1]) : 0;
}

async function loadedIds(node) {
  const body = await (await fetch(`${node.url}/v1/models`)).json();
  return body.data.filter((m) => m.quorum.loaded).map((m) => m.id).sort();
}

// The most inputs a request may hold, each about 20 tokens: some 80 slices of 512 tokens.
const BATCH = 2048;
const batchInputs = Array.from({ length: BATCH }, (_, i) => `${i}: the sea is calm tonight and the ship waits in the harbour`);

// Starts the large batch; resolves once the engine holds it, with `outcome`: the fetch's response or error.
async function startBatch(node, signal) {
  const outcome = post(node, "/v1/embeddings", { model: "tiny-a", input: batchInputs }, { signal }).catch((e) => e);
  await waitFor(async () => (await inFlight(node)) === 1, { what: "the batch in flight" });
  return { outcome };
}

async function embedsOne(node, input) {
  const r = await post(node, "/v1/embeddings", { model: "tiny-a", input });
  assert.equal(r.status, 200, await r.clone().text());
  const body = await r.json();
  assert.equal(body.data.length, 1);
  return body;
}

describe("embedded engine: large embedding batches (cancel, queue, slices)", () => {
  let node;

  before(async () => {
    const dir = await modelsFolder("tiny-a");
    node = await startNode({
      args: ["--models-dir", dir, "--probe-interval", "1", "--model-slots", "1", "--model-queue", "2"],
    });
    await embedsOne(node, "warm up"); // loaded, with its embedding context
  });

  after(async () => {
    await node?.stop(); // fails the test if the node died
  });

  test("a client that leaves a large batch stops the engine's work on it; the next request is served", async () => {
    const ac = new AbortController();
    const { outcome } = await startBatch(node, ac.signal);
    ac.abort();
    assert.equal((await outcome).name, "AbortError");
    // The engine gives the batch up part way (or, when the client left before the model thread took it from
    // the queue, never starts it), and says so.
    const stopped = await waitFor(
      () => node.output().match(
        /model 'tiny-a': embeddings (?:stopped after (\d+) of 2048 inputs|dropped before they started \(2048 inputs\)): the client left/),
      { what: "the engine to stop the batch" },
    );
    assert.ok(stopped[1] === undefined || Number(stopped[1]) < BATCH, stopped[0]);
    await waitFor(async () => (await inFlight(node)) === 0, { what: "nothing in flight" });
    await waitFor(() => /POST \/v1\/embeddings model=tiny-a engine=\S+ status=499/.test(node.output()),
      { what: "the request logged as 499" });
    // One batch runs at a time: this would wait behind the abandoned one if it still ran.
    await embedsOne(node, "next, please");
  });

  test("beyond --model-queue waiting embedding requests: 429 with Retry-After in OpenAI's shape; then served", async () => {
    const ac = new AbortController();
    const { outcome } = await startBatch(node, ac.signal);
    let queued;
    try {
      const answers = [];
      const sent = Array.from({ length: 10 }, (_, i) =>
        post(node, "/v1/embeddings", { model: "tiny-a", input: `small ${i}` }).then((r) => (answers[i] = r)));
      // Two wait behind the batch; the eight others are refused at once.
      await waitFor(() => answers.filter(Boolean).length === 8, { what: "eight answers" });
      const refused = answers.filter(Boolean);
      queued = sent.filter((_, i) => !answers[i]);
      assert.deepEqual(refused.map((r) => r.status), Array(8).fill(429));
      for (const r of refused) {
        assert.equal(r.headers.get("retry-after"), "1");
        const { error } = await r.json();
        assert.equal(error.type, "rate_limit_error");
        assert.equal(error.code, "model_busy");
        assert.equal(error.param, null);
        assert.match(error.message, /'tiny-a' is busy: it is computing embeddings and 2 embedding requests are waiting/);
      }
      await waitFor(async () => (await inFlight(node)) === 3, { what: "the batch and two queued" });
      // Generations wait in a queue of their own: a chat is served while the embeddings queue is full.
      const chat = await post(node, "/v1/chat/completions", { model: "tiny-a", messages: user("hi"), max_tokens: 3 });
      assert.equal(chat.status, 200);
      assert.equal((await chat.json()).object, "chat.completion");
    } finally {
      ac.abort();
    }
    assert.equal((await outcome).name, "AbortError");
    for (const r of await Promise.all(queued)) {
      assert.equal(r.status, 200);
      assert.equal((await r.json()).data.length, 1);
    }
    await embedsOne(node, "and one more");
    await waitFor(async () => (await inFlight(node)) === 0, { what: "nothing in flight" });
  });

  test("a stream on the same model keeps producing tokens while a large batch runs: it ends first", async () => {
    const order = [];
    const batch = post(node, "/v1/embeddings", { model: "tiny-a", input: batchInputs }).then(async (r) => {
      order.push("batch done");
      return { status: r.status, body: await r.json() };
    });
    await waitFor(async () => (await inFlight(node)) === 1, { what: "the batch in flight" });
    const res = await post(node, "/v1/chat/completions", {
      model: "tiny-a",
      messages: user("talk while it embeds"),
      max_tokens: 12,
      ignore_eos: true,
      stream: true,
    });
    assert.equal(res.status, 200);
    const events = await readSse(res, {
      timeoutMs: 300000,
      onEvent: (e) => order.push(e === "[DONE]" ? "stream done" : "event"),
    });
    assert.equal(events.at(-1), "[DONE]");
    const { status, body } = await batch;
    assert.equal(status, 200, JSON.stringify(body).slice(0, 300));
    assert.equal(body.data.length, BATCH);
    assert.ok(body.data.every((d, i) => d.index === i && d.embedding.length > 0));
    // The stream started after the batch and ended before it: the two ran interleaved.
    assert.ok(order.filter((o) => o === "event").length >= 12);
    assert.deepEqual(order.filter((o) => o !== "event"), ["stream done", "batch done"], order.join(", "));
  });

  test("more than 2048 inputs in one request is a 400 naming 'input'", async () => {
    const r = await post(node, "/v1/embeddings", { model: "tiny-a", input: Array(2049).fill("x") });
    assert.equal(r.status, 400);
    const { error } = await r.json();
    assert.equal(error.type, "invalid_request_error");
    assert.equal(error.param, "input");
    assert.match(error.message, /2049 inputs; at most 2048/);
  });
});

describe("embedded engine: a model larger than the memory budget", () => {
  const MiB = 1024 * 1024;

  test("--model-memory smaller than a model: 503 naming the model, its size and the budget; never loaded", async () => {
    const dir = await paddedModelsFolder(["tiny-a"], { big: 256 * MiB });
    const node = await startNode({ args: ["--models-dir", dir, "--probe-interval", "1", "--model-memory", "64M"] });
    try {
      for (const [route, body] of [
        ["/v1/chat/completions", { model: "big", messages: user("hi"), max_tokens: 3 }],
        ["/v1/embeddings", { model: "big", input: "hi" }],
      ]) {
        const r = await post(node, route, body);
        assert.equal(r.status, 503, route);
        assert.equal(r.headers.get("content-type"), "application/json");
        const { error } = await r.json();
        assert.equal(error.type, "server_error");
        assert.equal(error.code, "model_too_large");
        assert.match(error.message, /^The model 'big' needs about \d+ MiB of memory \(256 MiB of weights, \d+ MiB of context cache/);
        assert.match(error.message, /more than the node's memory budget for models of 64 MiB, so it is not loaded/);
      }
      // The node goes on serving its other models.
      const ok = await post(node, "/v1/chat/completions", { model: "tiny-a", messages: user("hi"), max_tokens: 3 });
      assert.equal(ok.status, 200);
      // /v1/models may answer from a listing up to a second old.
      await waitFor(async () => (await loadedIds(node)).join() === "tiny-a", { what: "only tiny-a loaded" });
      assert.ok(!node.output().includes("loading model 'big'"), "big was never loaded");
    } finally {
      await node.stop();
    }
  });

  test("by default the budget is three quarters of the RAM: a model twice the RAM is a 503, not an OOM kill", async () => {
    const dir = await paddedModelsFolder(["tiny-a"], { huge: 2 * os.totalmem() });
    const node = await startNode({ args: ["--models-dir", dir, "--probe-interval", "1"] });
    try {
      const r = await post(node, "/v1/chat/completions", { model: "huge", messages: user("hi"), max_tokens: 3 });
      assert.equal(r.status, 503);
      const { error } = await r.json();
      assert.equal(error.code, "model_too_large");
      const budget = Math.floor((os.totalmem() / 4) * 3 / MiB);
      const named = Number(error.message.match(/budget for models of (\d+) MiB/)[1]);
      assert.ok(Math.abs(named - budget) <= 1, `${named} MiB named, three quarters of the RAM is ${budget} MiB`);
      const ok = await post(node, "/v1/chat/completions", { model: "tiny-a", messages: user("hi"), max_tokens: 3 });
      assert.equal(ok.status, 200);
      assert.ok(!node.output().includes("loading model 'huge'"), "huge was never loaded");
    } finally {
      await node.stop();
    }
  });
});
