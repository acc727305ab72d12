// The node's promises about the stream, checked against engines that break them in the ways real engines do
// (a scripted engine replays vLLM's, llama.cpp's and broken engines' shapes; the client is the openai SDK).
// Every promise is checked twice, on purpose: on the pass-through path (an engine's common chunk read
// without building it, its text forwarded as the engine encoded it) and on the normalizing path, where every
// chunk is parsed and re-written (`--no-pass-through`).
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { startNode, readSse, askStreaming } from "./harness.mjs";
import { startScriptedEngine, startDribblingEngine } from "./scripted_engine.mjs";

for (const passThrough of [true, false]) {
  describe(passThrough ? "pass-through path" : "normalizing path (--no-pass-through)", () => {
    const pathArgs = passThrough ? [] : ["--no-pass-through"];
    let engine, node, client;

    before(async () => {
      engine = await startScriptedEngine();
      node = await startNode({ args: ["--engine", `script=${engine.url}`, "--keepalive", "1", "--idle-timeout", "2", ...pathArgs] });
      client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "unused", maxRetries: 0 });
    });
    after(async () => {
      await node?.stop();
      await engine?.stop();
    });

    const ask = (model, extra = {}) => askStreaming(node, model, extra);

    test("the node always asks the engine for usage, and shows it only when the client asked", async () => {
      const events = await readSse(await ask("vllm-reasoning"));
      assert.equal(engine.requests.at(-1).body.stream_options.include_usage, true);
      assert.equal(engine.requests.at(-1).body.stream, true);
      assert.ok(!events.slice(0, -1).some((e) => JSON.parse(e).usage));
    });

    test("reasoning is normalized to reasoning_content once, before the content", async () => {
      const events = (await readSse(await ask("vllm-reasoning"))).slice(0, -1).map((e) => JSON.parse(e));
      const reasoning = events.map((c) => c.choices[0]?.delta?.reasoning_content ?? "").join("");
      assert.equal(reasoning, "Let me think.");
      assert.ok(!events.some((c) => c.choices[0]?.delta?.reasoning), "only one reasoning field");
      const firstContent = events.findIndex((c) => c.choices[0]?.delta?.content);
      const lastReasoning = events.findLastIndex((c) => c.choices[0]?.delta?.reasoning_content);
      assert.ok(lastReasoning < firstContent);

      const r = await client.chat.completions.create({ model: "vllm-reasoning", messages: [{ role: "user", content: "x" }] });
      assert.equal(r.choices[0].message.reasoning_content, "Let me think.");
      assert.equal(r.choices[0].message.content, "Answer.");
      assert.equal(r.usage.total_tokens, 7);
    });

    test("tool calls: the SDK's helper assembles them (id, type, name once; arguments concatenated)", async () => {
      const stream = client.chat.completions.stream({ model: "tool" + "s", messages: [{ role: "user", content: "weather?" }] });
      const final = await stream.finalChatCompletion();
      const call = final.choices[0].message.tool_calls[0];
      assert.equal(call.id, "call_A");
      assert.equal(call.type, "function");
      assert.equal(call.function.name, "get_weather");
      assert.deepEqual(JSON.parse(call.function.arguments), { city: "Paris" });
      assert.equal(final.choices[0].finish_reason, "tool_calls");
    });

    test("keep-alive comments flow while the engine is silent, and the answer still arrives", async () => {
      const res = await ask("slow-start");
      const raw = await res.text();
      assert.match(raw, /^: keep-alive\n\n/m);
      assert.match(raw, /"content":"late"/);
      assert.ok(raw.endsWith("data: [DONE]\n\n"));
      // And the SDK does not mind the comments.
      const r = await client.chat.completions.create({ model: "slow-start", messages: [{ role: "user", content: "x" }], stream: true });
      let text = "";
      for await (const c of r) text += c.choices[0]?.delta?.content ?? "";
      assert.equal(text, "late");
    });

    test("a character split across engine events reaches the client whole", async () => {
      const r = await client.chat.completions.create({ model: "split-utf8", messages: [{ role: "user", content: "x" }], stream: true });
      let text = "";
      for await (const c of r) text += c.choices[0]?.delta?.content ?? "";
      assert.equal(text, "caf\u00e9 \u{1F642}");
    });

    test("a character cut between two engine events is joined before it reaches the client", async () => {
      const r = await client.chat.completions.create({ model: "split-char-events", messages: [{ role: "user", content: "x" }], stream: true });
      let text = "";
      for await (const c of r) text += c.choices[0]?.delta?.content ?? "";
      assert.equal(text, "caf\u00e9 ok");
    });

    test("an engine whose bytes arrive one at a time is read whole: every framing boundary cut", async (t) => {
      const dribbler = await startDribblingEngine();
      t.after(() => dribbler.stop());
      const slowNode = await startNode({ args: ["--engine", `drip=${dribbler.url}`, ...pathArgs] });
      t.after(() => slowNode.stop());
      const slowClient = new OpenAI({ baseURL: `${slowNode.url}/v1`, apiKey: "unused", maxRetries: 0 });
      for (let i = 0; i < 2; i++) {  // the second time on the kept connection
        const r = await slowClient.chat.completions.create({ model: "dribble", messages: [{ role: "user", content: "x" }], stream: true });
        let text = "";
        for await (const c of r) text += c.choices[0]?.delta?.content ?? "";
        assert.equal(text, "h\u00e9llo \u{1F642}");
      }
    });

    for (const model of ["truncated", "garbage", "stall"]) {
      test(`an engine stream that ${model === "stall" ? "stalls" : "breaks"} (${model}) ends with an in-band error and [DONE]`, async () => {
        const events = await readSse(await ask(model), { timeoutMs: 15000 });
        assert.equal(events.at(-1), "[DONE]");
        const err = JSON.parse(events.at(-2));
        assert.ok(err.error, events.at(-2));
        assert.equal(err.error.type, "server_error");
        // The SDK raises it as an APIError from the iterator.
        const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content: "x" }], stream: true });
        await assert.rejects(async () => {
          for await (const _ of stream);
        }, (e) => e.constructor.name === "APIError" || e.status === undefined);
      });
    }

    test("llama.cpp's own error reaches the client, from its `error:` field or `data: {\"error\"}`", async () => {
      for (const [model, message] of [["llama-error-field", /KV cache is full/], ["llama-error-data", /decode failed: out of memory/]]) {
        const events = await readSse(await ask(model), { timeoutMs: 10000 });
        assert.equal(events.at(-1), "[DONE]", model);
        assert.equal(JSON.parse(events[1]).choices[0].delta.content, "partial", model);
        const err = JSON.parse(events.at(-2)).error;
        assert.ok(err, `${model}: ${events.at(-2)}`);
        assert.match(err.message, message, model);
        assert.match(err.message, /Engine 'script' failed/, model);
        assert.equal(err.type, "server_error", model);
      }
      // Before the first byte the engine's error is the HTTP error, a client's mistake staying a 400.
      await assert.rejects(
        client.chat.completions.create({ model: "llama-error-field-first", messages: [{ role: "user", content: "x" }], stream: true }),
        (e) => e.status === 400 && e.code === "context_length_exceeded" && /exceeds the available context/.test(e.message),
      );
    });

    // Found by fuzzing (docs/reliability.md): an engine's bytes that are not UTF-8, a redirect status and a number
    // beyond a double's range used to reach the client as they were: invalid JSON, a 301 error, `Infinity`.
    test("whatever an engine or a client sends, the node's answer is JSON in valid UTF-8 with an error status", async () => {
      const strict = new TextDecoder("utf-8", { fatal: true });
      const call = async (path, body) => {
        const r = await fetch(`${node.url}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
        return { status: r.status, body: JSON.parse(strict.decode(await r.arrayBuffer())) };
      };
      const chat = (model, extra = "") => `{"model":"${model}","messages":[{"role":"user","content":"x"}]${extra}}`;
      let r = await call("/v1/chat/completions", chat("bytes-error"));
      assert.equal(r.status, 502);
      assert.match(r.body.error.message, /Engine 'script' failed: bad \uFFFD\uFFFD bytes/);
      r = await call("/v1/chat/completions", chat("redirect"));
      assert.equal(r.status, 502);
      assert.match(r.body.error.message, /unexpected HTTP 301: <html>Moved Permanently/);
      r = await call("/v1/embeddings", '{"model":"infinite-embedding","input":"x","encoding_format":"float"}');
      assert.equal(r.status, 502);
      assert.match(r.body.error.message, /malformed embeddings/);
      // A client's 1e400 is refused by the node, naming the field, rather than forwarded as `Infinity`.
      r = await call("/v1/chat/completions", chat("vllm-reasoning", ',"top_k":1e400'));
      assert.equal(r.status, 400);
      assert.equal(r.body.error.param, "top_k");
      assert.ok(!engine.requests.some((q) => q.body.top_k !== undefined), "the engine got the request");
    });

    test("engine errors before the first byte keep their meaning: 400 stays 400, a crash is 502", async () => {
      await assert.rejects(
        client.chat.completions.create({ model: "context-overflow", messages: [{ role: "user", content: "x" }], stream: true }),
        (e) => e.status === 400 && e.code === "context_length_exceeded" && /context/.test(e.message),
      );
      await assert.rejects(
        client.chat.completions.create({ model: "crash", messages: [{ role: "user", content: "x" }] }),
        (e) => e.status === 502 && /out of memory/.test(e.message),
      );
    });

    test("the chunks took the path under test", async () => {
      const r = await client.chat.completions.create({ model: "split-utf8", messages: [{ role: "user", content: "x" }], stream: true });
      for await (const _ of r);
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      const count = (path) => Number(metrics.match(new RegExp(`quorum_stream_chunks_total\\{path="${path}"\\} (\\d+)`))[1]);
      if (passThrough) {
        assert.ok(count("pass_through") > count("parsed"), metrics);
      } else {
        assert.equal(count("pass_through"), 0);
        assert.ok(count("parsed") > 0);
      }
    });
  });
}
