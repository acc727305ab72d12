// The `ollama` adapter: the node speaks Ollama's native API to a stand-in that replays its documented
// shapes, and the client sees the strict OpenAI dialect. The client is the unmodified openai SDK.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { startNode, readSse } from "./harness.mjs";
import { startFakeOllama } from "./fake_ollama.mjs";

let ollama, node, client;

before(async () => {
  ollama = await startFakeOllama();
  node = await startNode({ args: ["--engine", `ollama=ollama:${ollama.url}`] });
  client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "ollama", maxRetries: 0 });
});
after(async () => {
  await node?.stop();
  await ollama?.stop();
});

test("models come from /api/tags, with /api/ps telling which are loaded", async () => {
  const page = await client.models.list();
  const byId = Object.fromEntries(page.data.map((m) => [m.id, m]));
  assert.ok(byId["llama3.2:latest"] && byId["qwen3:8b"]);
  assert.equal(byId["llama3.2:latest"].quorum.loaded, true);
  assert.equal(byId["qwen3:8b"].quorum.loaded, false);
  assert.equal(byId["llama3.2:latest"].created, 1746405464); // 2025-05-04T17:37:44-07:00
});

test("a chat streams from /api/chat NDJSON, with usage from Ollama's counters", async () => {
  const stream = await client.chat.completions.create({
    model: "llama3.2:latest",
    messages: [{ role: "developer", content: "Be brief" }, { role: "user", content: "hi" }],
    max_tokens: 50,
    stop: "END",
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let usage;
  let finish;
  for await (const c of stream) {
    text += c.choices[0]?.delta?.content ?? "";
    finish ??= c.choices[0]?.finish_reason;
    if (c.usage) usage = c.usage;
  }
  assert.equal(text, "Hello from Ollama");
  assert.equal(finish, "stop");
  assert.deepEqual(usage, { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
  const sent = ollama.requests.findLast((r) => r.url === "/api/chat").body;
  assert.equal(sent.messages[0].role, "system");
  assert.equal(sent.options.num_predict, 50);
  assert.deepEqual(sent.options.stop, ["END"]);
});

test("thinking becomes reasoning_content before the answer", async () => {
  const r = await client.chat.completions.create({ model: "qwen3:8b", messages: [{ role: "user", content: "think first" }] });
  assert.equal(r.choices[0].message.reasoning_content, "Hmm, let me see.");
  assert.equal(r.choices[0].message.content, "Hello from Ollama");
});

test("a whole tool call with object arguments becomes OpenAI fragments the SDK assembles", async () => {
  const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }];
  const final = await client.chat.completions
    .stream({ model: "llama3.2:latest", messages: [{ role: "user", content: "weather?" }], tools })
    .finalChatCompletion();
  const call = final.choices[0].message.tool_calls[0];
  assert.equal(call.type, "function");
  assert.ok(call.id.length > 0);
  assert.equal(call.function.name, "get_weather");
  assert.deepEqual(JSON.parse(call.function.arguments), { city: "Tokyo", days: 2 });
  assert.equal(final.choices[0].finish_reason, "tool_calls");
});

test("tool results go back with the tool's name recovered from the call id", async () => {
  await client.chat.completions.create({
    model: "llama3.2:latest",
    messages: [
      { role: "user", content: "weather?" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_9", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "call_9", content: "18C" },
    ],
  });
  const sent = ollama.requests.findLast((r) => r.url === "/api/chat").body;
  assert.deepEqual(sent.messages[1].tool_calls[0].function.arguments, { city: "Paris" });
  assert.equal(sent.messages[2].tool_name, "get_weather");
});

test("an error line mid-stream becomes an in-band error, then [DONE]", async () => {
  const res = await fetch(`${node.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: "llama3.2:latest", stream: true, messages: [{ role: "user", content: "please fail" }] }),
  });
  const events = await readSse(res);
  assert.equal(events.at(-1), "[DONE]");
  const err = JSON.parse(events.at(-2));
  assert.match(err.error.message, /llama runner process has terminated/);
  assert.ok(events.some((e) => e.includes('"Hello"')));
});

test("max_tokens reached gives finish_reason length; text completions use /api/generate", async () => {
  const r = await client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "x" }], max_tokens: 3 });
  assert.equal(r.choices[0].finish_reason, "length");
  const c = await client.completions.create({ model: "llama3.2:latest", prompt: "Once", max_tokens: 10 });
  assert.equal(c.choices[0].text, "Hello from Ollama");
  assert.equal(ollama.requests.at(-1).url, "/api/generate");
});

test("an unknown model is a 404 from the node; embeddings come back base64 by the SDK's default", async () => {
  await assert.rejects(client.chat.completions.create({ model: "nope:1b", messages: [{ role: "user", content: "x" }] }),
    (e) => e.status === 404);
  const e = await client.embeddings.create({ model: "nomic-embed-text:latest", input: ["a", "b"] });
  assert.equal(e.data.length, 2);
  assert.deepEqual(Array.from(e.data[1].embedding), [0.5, -0.25, 1.125]); // decoded from base64 by the SDK
  assert.equal(e.usage.prompt_tokens, 8);
  const f = await client.embeddings.create({ model: "nomic-embed-text:latest", input: "a", encoding_format: "float" });
  assert.deepEqual(f.data[0].embedding, [0.5, -0.25, 0.125]);
});
