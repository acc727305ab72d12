// An API key's limits at the relay, with real processes (quorum-relay, one node with a scripted engine, the
// unmodified openai SDK): over its requests per minute or its requests at once, a key gets 429 in OpenAI's
// error shape with a Retry-After the SDK can act on, and a request that ends, however it ends, gives its
// place back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { waitFor } from "./harness.mjs";
import { lastLine, memberServing, quorum, startRelayCluster } from "./relay_cluster.mjs";
import { piece } from "./scripted_engine.mjs";

let c;
before(async () => {
  c = await startRelayCluster({ nodes: 1 });
});
after(() => c?.stop());

const createKey = (...flags) => lastLine(quorum("keys", "create", "limited", ...flags, "--state-dir", c.members[0].stateDir));
const echo = (client, text = "x") => client.chat.completions.create({ model: "echo", messages: [{ role: "user", content: text }] });

function assertRateLimited(e, limit) {
  assert.ok(e instanceof OpenAI.RateLimitError, `429, not ${e}`);
  assert.equal(e.status, 429);
  assert.deepEqual(Object.keys(e.error).sort(), ["code", "message", "param", "type"]);
  assert.equal(e.code, "rate_limit_exceeded");
  assert.equal(e.type, "requests");
  assert.equal(e.param, null);
  assert.match(e.message, new RegExp(limit));
  const retryAfter = Number(e.headers.get("retry-after"));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After in whole seconds (${e.headers.get("retry-after")})`);
  return retryAfter;
}

test("a key with --rpm 2 gets 429 with Retry-After on its third request within the minute", async () => {
  const client = c.client(createKey("--rpm", "2"));
  assert.equal((await echo(client, "one")).choices[0].message.content, "echo:one");
  assert.equal((await echo(client, "two")).choices[0].message.content, "echo:two");
  const third = await echo(client, "three").catch((e) => e);
  const retryAfter = assertRateLimited(third, "rpm");
  assert.ok(retryAfter > 1, `the minute's first request leaves it in about a minute (${retryAfter} s)`);
  // Another key of the same cluster is not affected.
  assert.equal((await echo(c.client(), "other")).choices[0].message.content, "echo:other");
});

test("a key with --tpm gets 429 once the tokens its requests used fill the minute", async () => {
  const key = createKey("--tpm", "2");
  const client = c.client(key);
  const first = await echo(client, "one");
  assert.ok(first.usage.total_tokens >= 2, `the engine reported its usage (${JSON.stringify(first.usage)})`);
  // The node reports what the request used after its answer: wait until the relay has it.
  const id = key.split("_")[1];
  await waitFor(() => JSON.parse(quorum("usage", "--json", "--state-dir", c.members[0].stateDir)).data
    .some((r) => r.key_id === id && r.prompt_tokens + r.completion_tokens >= 2), { what: "the first request's usage at the relay" });
  assertRateLimited(await echo(client, "two").catch((e) => e), "tpm");
});

test("a key with --max-parallel 1: a second request while the first runs gets 429; once it ends, the next is served", async () => {
  const client = c.client(createKey("--max-parallel", "1"));
  const engine = c.members[0].engine;
  const first = client.chat.completions.create({ model: "gated", messages: [{ role: "user", content: "x" }], stream: true });
  await memberServing(c, "gated");
  const second = await echo(client, "meanwhile").catch((e) => e);
  assertRateLimited(second, "max_parallel");
  engine.openGate();
  let content = "";
  for await (const chunk of await first) content += chunk.choices[0]?.delta?.content ?? "";
  assert.equal(content, [0, 1, 2, 3, 4].map(piece).join(""));
  assert.equal((await echo(client, "after")).choices[0].message.content, "echo:after");
});

test("a request that fails before an answer gives its parallel place back", async () => {
  const client = c.client(createKey("--max-parallel", "1"));
  // No node holds this model: 404 after the key was admitted.
  const missing = await client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] }).catch((e) => e);
  assert.equal(missing.status, 404);
  assert.equal(missing.code, "model_not_found");
  // The engine fails before its first byte, on every holder: the relay answers with the node's error.
  const crashed = await client.chat.completions.create({ model: "crash", messages: [{ role: "user", content: "x" }] }).catch((e) => e);
  assert.ok(crashed instanceof OpenAI.APIError && crashed.status >= 500, `a server error, not ${crashed}`);
  assert.equal((await echo(client, "still")).choices[0].message.content, "echo:still");
});
