// Engines that come and go under a running node: autodetection, an engine that stops, an engine that dies
// in the middle of a stream. Real llama-server processes, the unmodified openai SDK.
import { test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import http from "node:http";
import { startLlamaServer, startNode, modelsDir, readSse, waitFor, freePort } from "./harness.mjs";

async function modelIds(url) {
  const res = await fetch(`${url}/v1/models`);
  return (await res.json()).data.map((m) => m.id);
}

test("an engine started after the node is detected, and disappears when it stops", async (t) => {
  const port = await freePort();
  const node = await startNode({ args: ["--autodetect-url", `later=openai:http://127.0.0.1:${port}`, "--probe-interval", "1"], autodetect: true });
  t.after(() => node.stop());
  assert.deepEqual(await modelIds(node.url), []);

  const engine = await startLlamaServer({ model: `${await modelsDir()}/tiny-b.gguf`, port, extraArgs: ["--alias", "tiny-b"] });
  t.after(() => engine.stop());
  await waitFor(async () => (await modelIds(node.url)).includes("tiny-b"), { timeoutMs: 15000, intervalMs: 200 });

  const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "unused", maxRetries: 0 });
  const r = await client.chat.completions.create({ model: "tiny-b", messages: [{ role: "user", content: "hi" }], max_tokens: 3 });
  assert.ok(r.choices[0].message.content !== undefined);

  await engine.stop();
  await waitFor(async () => !(await modelIds(node.url)).includes("tiny-b"), { timeoutMs: 15000, intervalMs: 200 });
});

test("a configured engine that stops gives a clear 503 naming it, and serves again when it is back", async (t) => {
  const port = await freePort();
  const model = `${await modelsDir()}/tiny-a.gguf`;
  let engine = await startLlamaServer({ model, port, extraArgs: ["--alias", "tiny-a"] });
  const node = await startNode({ args: ["--engine", `box=http://127.0.0.1:${port}`, "--probe-interval", "1"] });
  t.after(async () => {
    await node.stop();
    await engine.stop();
  });
  const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "unused", maxRetries: 0 });
  await client.chat.completions.create({ model: "tiny-a", messages: [{ role: "user", content: "hi" }], max_tokens: 2 });

  await engine.stop();
  await assert.rejects(
    client.chat.completions.create({ model: "tiny-a", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
    (err) => {
      assert.ok([502, 503].includes(err.status), `status ${err.status}`);
      assert.match(err.message, /box|127\.0\.0\.1/);
      return true;
    },
  );
  // After the next probe the node knows the engine is down: still a 503 that names it, never a hang.
  await waitFor(
    async () => {
      const res = await fetch(`${node.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ model: "tiny-a", messages: [{ role: "user", content: "x" }] }),
      });
      const body = await res.json();
      return res.status === 503 && /box/.test(body.error.message);
    },
    { timeoutMs: 10000, intervalMs: 200 },
  );

  engine = await startLlamaServer({ model, port, extraArgs: ["--alias", "tiny-a"] });
  await waitFor(
    async () => {
      try {
        await client.chat.completions.create({ model: "tiny-a", messages: [{ role: "user", content: "x" }], max_tokens: 2 });
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs: 15000, intervalMs: 250 },
  );
});

test("an engine killed mid-stream: in-band error then [DONE], never a hang", async (t) => {
  const engine = await startLlamaServer({ model: `${await modelsDir()}/tiny-a.gguf`, extraArgs: ["--alias", "tiny-a"] });
  const node = await startNode({ args: ["--engine", `doomed=${engine.url}`] });
  t.after(async () => {
    await node.stop();
    await engine.stop();
  });
  const res = await fetch(`${node.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      model: "tiny-a",
      messages: [{ role: "user", content: "go" }],
      max_tokens: 100000,
      ignore_eos: true,
      stream: true,
    }),
  });
  assert.equal(res.status, 200);
  let killed = false;
  const events = await readSse(res, {
    onEvent: (data, i) => {
      if (i === 3 && !killed) {
        killed = true;
        engine.proc.kill("SIGKILL");
      }
    },
    timeoutMs: 20000,
  });
  assert.ok(killed);
  assert.equal(events.at(-1), "[DONE]");
  const last = JSON.parse(events.at(-2));
  assert.ok(last.error, `expected an error event, got ${events.at(-2)}`);
  assert.equal(last.error.type, "server_error");
  assert.ok(last.error.message.length > 0);

  // The SDK surfaces the same thing as an APIError thrown from the iterator.
  const health = await fetch(`${node.url}/health`);
  assert.equal(health.status, 200);
});

test("a burst of requests for a model no engine has asks the engine for its models once, not once each", async (t) => {
  // An engine whose model list takes half a second, counting how often it is asked.
  let listed = 0;
  const engine = http.createServer((req, res) => {
    if (req.method === "GET" && req.url.startsWith("/v1/models")) {
      listed += 1;
      setTimeout(() => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ object: "list", data: [{ id: "known", object: "model", owned_by: "test" }] }));
      }, 500);
      return;
    }
    res.writeHead(404).end();
  });
  const port = await freePort();
  await new Promise((resolve) => engine.listen(port, "127.0.0.1", resolve));
  t.after(() => engine.close());
  const node = await startNode({ args: ["--engine", `slow=http://127.0.0.1:${port}`, "--probe-interval", "3600"] });
  t.after(() => node.stop());
  await waitFor(async () => (await modelIds(node.url)).includes("known"), { timeoutMs: 15000, intervalMs: 200 });

  // A request for a model nobody holds refreshes the engines' lists when the last refresh is a second old.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const before = listed;
  const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "unused", maxRetries: 0 });
  const burst = await Promise.allSettled(Array.from({ length: 20 }, () =>
    client.chat.completions.create({ model: "missing", messages: [{ role: "user", content: "hi" }] })));
  for (const r of burst) {
    assert.equal(r.status, "rejected");
    assert.equal(r.reason.status, 404);
    assert.equal(r.reason.error?.code, "model_not_found");
  }
  assert.equal(listed - before, 1, "the twenty requests shared one refresh");
});
