// The relay when things break, with real processes: quorum-relay, two nodes of one cluster linked to it (each
// with its own scripted engine, so the test decides when a first token comes), the unmodified openai SDK.
// What a user of the relay's endpoint sees when a node dies before its first token (another holder serves),
// dies in the middle of a stream (the tokens so far, then an in-band error, and the stream ends), when the
// relay restarts (the request in flight finishes; the nodes come back by themselves; one that outlives the
// drain time ends with an error in band) and when the operator revokes a node (its link drops within about a
// second; its models are gone).
import { test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { readSse, startRelay, waitFor } from "./harness.mjs";
import { memberServing, relayCli, relayMetric, startRelayCluster } from "./relay_cluster.mjs";
import { piece } from "./scripted_engine.mjs";

const all = [0, 1, 2, 3, 4].map(piece).join("");
const ask = (model, extra = {}) => ({ model, messages: [{ role: "user", content: "x" }], ...extra });

// Reads an SDK stream to its end: the content, and the error it raised (if any).
async function drain(stream, onContent = () => {}) {
  let content = "";
  try {
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta?.content ?? "";
      await onContent(content);
    }
  } catch (error) {
    return { content, error };
  }
  return { content };
}

// Rejects after `ms`: a deadline against a hang, not a timing assertion.
function deadline(ms, what) {
  let timer;
  const p = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  p.clear = () => clearTimeout(timer);
  return p;
}
async function within(ms, what, promise) {
  const d = deadline(ms, what);
  try {
    return await Promise.race([promise, d]);
  } finally {
    d.clear();
  }
}

test("a node killed before its first token: the other holder serves the request, and the client never knows", async (t) => {
  const c = await startRelayCluster({ nodes: 2 });
  t.after(() => c.stop());
  const pending = c.client().chat.completions.create(ask("gated", { stream: true })).withResponse();
  const first = await memberServing(c, "gated");
  const other = c.members.find((m) => m !== first);
  await c.kill(first);
  other.engine.openGate();
  const { data, response } = await within(20000, "the answer from the other holder", pending);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-quorum-node"), other.name);
  const { content, error } = await drain(data);
  assert.equal(error, undefined);
  assert.equal(content, all);
  assert.equal(other.engine.requests.filter((r) => r.body.model === "gated").length, 1);
});

test("the first token through the relay reaches the client while the engine still holds the second", async (t) => {
  // The node's keep-alive comment (every 10 s by default) would flush a held token: not within this test.
  const c = await startRelayCluster({ nodes: 1, nodeArgs: ["--keepalive", "60"] });
  t.after(() => c.stop());
  const [m] = c.members;
  let opened = false;
  // The deadline covers the request too: the relay's head goes out with the first token.
  const { content, error } = await within(15000, "the first token, then the rest", (async () => {
    const stream = await c.client().chat.completions.create(ask("first-then-gated", { stream: true }));
    return drain(stream, async (so_far) => {
      if (!opened && so_far === piece(0)) {
        opened = true;
        m.engine.openGate();
      }
    });
  })());
  assert.ok(opened, "the first piece arrived before the engine sent more");
  assert.equal(error, undefined);
  assert.equal(content, [0, 1, 2, 3, 4].map(piece).join(""));
});

test("a node killed mid-stream: the SDK gets the tokens so far, then an APIError, and no other node starts over", async (t) => {
  const c = await startRelayCluster({ nodes: 2 });
  t.after(() => c.stop());
  const { data, response } = await c.client().chat.completions.create(ask("gated-mid", { stream: true })).withResponse();
  const serving = c.members.find((m) => m.name === response.headers.get("x-quorum-node"));
  assert.ok(serving, "x-quorum-node names a member");
  let killed = false;
  const { content, error } = await within(15000, "the end of the cut stream", drain(data, async (so_far) => {
    if (!killed && so_far === piece(0) + piece(1) + piece(2)) {
      killed = true;
      await c.kill(serving);
    }
  }));
  assert.ok(killed, "three pieces arrived before the kill");
  assert.equal(content, piece(0) + piece(1) + piece(2));
  assert.ok(error instanceof OpenAI.APIError, `an APIError mid-iteration, not ${error}`);
  assert.match(error.message, new RegExp(`Node '${serving.name}' went away during the response`));
  assert.equal(error.type, "server_error");
  assert.equal(error.code, "node_gone");
  // After the first byte, never a second generation spliced onto the first.
  for (const m of c.members) if (m !== serving) assert.equal(m.engine.requests.length, 0);
});

test("a node killed mid-stream: on the wire, the events so far, one error event, [DONE], and the response ends", async (t) => {
  const c = await startRelayCluster({ nodes: 1 });
  t.after(() => c.stop());
  const [m] = c.members;
  const response = await fetch(`${c.relay.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${c.key}` },
    body: JSON.stringify(ask("gated-mid", { stream: true })),
  });
  assert.equal(response.status, 200);
  let content = "";
  const events = await readSse(response, {
    timeoutMs: 15000,
    onEvent: (data) => {
      if (data === "[DONE]") return;
      const e = JSON.parse(data);
      content += e.choices?.[0]?.delta?.content ?? "";
      if (content === piece(0) + piece(1) + piece(2) && m.alive) c.kill(m);
    },
  });
  assert.equal(events.at(-1), "[DONE]");
  const error = JSON.parse(events.at(-2));
  assert.deepEqual(Object.keys(error.error).sort(), ["code", "message", "param", "type"]);
  assert.equal(error.error.code, "node_gone");
  assert.equal(content, piece(0) + piece(1) + piece(2));
  await waitFor(async () => (await relayMetric(c.relay, "quorum_relay_open_streams")) === 0, { what: "no open stream at the relay" });
});

test("the relay restarted: the request in flight finishes, the nodes reconnect and the next request works", async (t) => {
  const c = await startRelayCluster({ nodes: 2 });
  t.after(() => c.stop());
  const { data, response } = await c.client().chat.completions.create(ask("gated-mid", { stream: true })).withResponse();
  const serving = c.members.find((m) => m.name === response.headers.get("x-quorum-node"));
  const iterator = data[Symbol.asyncIterator]();
  let content = "";
  while (content !== piece(0) + piece(1) + piece(2)) content += (await iterator.next()).value.choices[0]?.delta?.content ?? "";

  const old = c.relay;
  old.proc.kill("SIGTERM");
  // It stops accepting at once…
  await waitFor(() => fetch(`${old.url}/health`).then(() => false, () => true), { what: "the relay to stop accepting" });
  // …and the stream in flight goes on to its end.
  serving.engine.openGate();
  for (;;) {
    const { value, done } = await within(15000, "the rest of the drained stream", iterator.next());
    if (done) break;
    content += value.choices[0]?.delta?.content ?? "";
  }
  assert.equal(content, all);
  assert.deepEqual(await within(15000, "the relay's exit", old.exited), { code: 0, signal: null });
  assert.match(old.output(), /requests in flight have/);

  c.relay = await startRelay({ port: old.port, dataDir: old.dataDir });
  await c.waitOnline();
  for (const m of c.members) m.engine.openGate();
  const again = await c.client().chat.completions.create(ask("gated"));
  assert.equal(again.choices[0].message.content, all);
});

test("a stream that outlives the relay's drain ends with an in-band error, not a cut connection", async (t) => {
  const c = await startRelayCluster({ nodes: 1, relayArgs: ["--drain-timeout", "1"] });
  t.after(() => c.stop());
  const { data } = await c.client().chat.completions.create(ask("gated-mid", { stream: true })).withResponse();
  const started = Date.now();
  let killed = false;
  const { content, error } = await within(15000, "the end of the stream the relay gave up", drain(data, (so_far) => {
    if (!killed && so_far === piece(0) + piece(1) + piece(2)) {
      killed = true;
      c.relay.proc.kill("SIGTERM");
    }
  }));
  t.diagnostic(`ended ${Date.now() - started} ms after the request began`);
  assert.equal(content, piece(0) + piece(1) + piece(2));
  assert.ok(error instanceof OpenAI.APIError, `an APIError in band, not ${error?.constructor?.name}: ${error?.message}`);
  assert.equal(error.code, "node_gone");
  assert.match(error.message, /\(the relay is restarting\)/);
  assert.deepEqual(await within(15000, "the relay's exit", c.relay.exited), { code: 0, signal: null });
});

test("a node revoked by the operator while connected is dropped within about a second, and its models with it", async (t) => {
  // node-1's engine offers its scripts as "b-…": models only it holds.
  const c = await startRelayCluster({ nodes: 2, engineOptions: (i) => (i === 1 ? { prefix: "b-" } : {}) });
  t.after(() => c.stop());
  const [a, b] = c.members;
  const client = c.client();
  const ok = await client.chat.completions.create({ model: "b-echo", messages: [{ role: "user", content: "hi" }] });
  assert.equal(ok.choices[0].message.content, "echo:hi");
  // A stream of b's in flight when it is revoked.
  const inflight = await client.chat.completions.create(ask("b-gated-mid", { stream: true }));
  const iterator = inflight[Symbol.asyncIterator]();
  await iterator.next();

  relayCli("node", "revoke", b.id, "--data", c.relay.dataDir);
  const revokedAt = Date.now();
  await waitFor(async () => !(await c.relayNodes(a)).find((n) => n.id === b.id).online,
    { timeoutMs: 5000, intervalMs: 50, what: "the revoked node's link to drop" });
  t.diagnostic(`dropped ${Date.now() - revokedAt} ms after the revocation`);
  // Its stream ends with an error in band, not silence.
  const rest = await within(10000, "the revoked node's stream to end", drain({ [Symbol.asyncIterator]: () => iterator }));
  assert.ok(rest.error instanceof OpenAI.APIError, `the stream in flight ends with an error, not ${rest.error}`);
  assert.match(rest.error.message, /went away during the response \(revoked\)/);

  const refused = await client.chat.completions.create({ model: "b-echo", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
  assert.ok(refused instanceof OpenAI.APIError);
  assert.ok([404, 503].includes(refused.status), `404 or 503, not ${refused.status}`);
  assert.ok(!(await client.models.list()).data.some((m) => m.id.startsWith("b-")), "its models are no longer listed");
  // It cannot come back: its next link is refused.
  await waitFor(() => /refused this node/.test(b.node.output()), { timeoutMs: 15000, what: "the node's next link refused" });
  assert.equal((await c.relayNodes(a)).find((n) => n.id === b.id).online, false);
  // The other node is untouched.
  const still = await client.chat.completions.create({ model: "echo", messages: [{ role: "user", content: "a" }] });
  assert.equal(still.choices[0].message.content, "echo:a");
});
