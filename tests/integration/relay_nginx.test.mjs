// The relay behind nginx, configured as docs/relay-deploy.md says (the file's nginx block, with a plain
// loopback listener instead of TLS): a node whose link goes through nginx, a model that is silent for 90 s
// before its first token, and the unmodified openai SDK. The stream arrives: the node's `: keep-alive`
// comments cross the relay and nginx every 10 s, so neither times out, and a key's parallel place stays
// taken for the whole of a long stream.
//
// Slow (90 s): the suite runs it once, in its plain build; under the sanitizers (QUORUM_SANITIZED=1) it is
// skipped unless QUORUM_SLOW_TESTS=1.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { readSse } from "./harness.mjs";
import { startNginx } from "./nginx.mjs";
import { lastLine, quorum, startRelayCluster } from "./relay_cluster.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const skip = process.env.QUORUM_SANITIZED === "1" && process.env.QUORUM_SLOW_TESTS !== "1"
  ? "slow (90 s): run once, in the plain build" : false;
const silentMs = 90000;

// The nginx block of docs/relay-deploy.md, for a relay on `relayPort` and nginx on `port` in plain HTTP.
function documentedConfig(relayPort, port) {
  const doc = fs.readFileSync(path.join(repo, "docs/relay-deploy.md"), "utf8");
  const section = doc.slice(doc.indexOf("\n## nginx\n"));
  const block = /```nginx\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, "docs/relay-deploy.md has an nginx block under ## nginx");
  const replace = (text, from, to) => {
    assert.ok(text.includes(from), `the documented config has ${JSON.stringify(from)}`);
    return text.replace(from, to);
  };
  let conf = replace(block, "server 127.0.0.1:8443;", `server 127.0.0.1:${relayPort};`);
  conf = replace(conf, "    listen 443 ssl;\n    listen [::]:443 ssl;\n", `    listen 127.0.0.1:${port};\n`);
  conf = conf.split("\n").filter((l) => !/^\s*ssl_certificate(_key)?\s/.test(l)).join("\n");
  return conf;
}

test("behind nginx, a model silent for 90 s before its first token still streams to the SDK", { skip, timeout: 240000 }, async (t) => {
  let nginx;
  const c = await startRelayCluster({
    nodes: 1,
    relayUrl: async (relay) => {
      nginx = await startNginx((port) => documentedConfig(relay.port, port));
      return nginx.url;
    },
  });
  t.after(async () => {
    await c.stop();
    await nginx.stop();
  });
  assert.ok(c.members[0].node.output().includes(`relay: connected to ${nginx.url}`), "the node's link goes through nginx");

  const limitedKey = lastLine(quorum("keys", "create", "one-at-a-time", "--max-parallel", "1", "--state-dir", c.members[0].stateDir));
  const body = { model: "silent", messages: [{ role: "user", content: "x" }], stream: true, silent_ms: silentMs };
  const started = Date.now();

  // What a user sees: the SDK, through nginx.
  const viaSdk = (async () => {
    const stream = await c.client(limitedKey).chat.completions.create(body);
    let content = "";
    for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? "";
    return content;
  })();

  // What the wire carries: the keep-alive comments, as they come.
  let comments = 0;
  let checkedPlace;
  const raw = await fetch(`${nginx.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${c.key}` },
    body: JSON.stringify(body),
  });
  assert.equal(raw.status, 200);
  const events = await readSse(raw, {
    timeoutMs: silentMs + 60000,
    onComment: (text) => {
      if (text !== "keep-alive") return;
      comments++;
      // Past 40 s (and the relay's 30 s expiry of ended requests), the limited key's stream still holds its
      // place: a second request of it is refused, after another key's request ended.
      if (comments === 4) checkedPlace = (async () => {
        const other = await c.client().chat.completions.create({ model: "echo", messages: [{ role: "user", content: "a" }] });
        assert.equal(other.choices[0].message.content, "echo:a");
        return c.client(limitedKey).chat.completions.create({ model: "echo", messages: [{ role: "user", content: "b" }] }).catch((e) => e);
      })();
    },
  });
  const content = await viaSdk;
  t.diagnostic(`first token after ${((Date.now() - started) / 1000).toFixed(1)} s; ${comments} keep-alive comments crossed nginx`);
  assert.equal(content, "awake");
  assert.equal(events.at(-1), "[DONE]");
  assert.equal(events.slice(0, -1).map((e) => JSON.parse(e).choices[0]?.delta?.content ?? "").join(""), "awake");
  assert.ok(comments >= 6, `keep-alive comments crossed the relay and nginx while the model was silent (${comments})`);
  const refused = await checkedPlace;
  assert.ok(refused instanceof OpenAI.RateLimitError,
    `the long stream kept its parallel place (${refused instanceof Error ? refused.message : "a second request was admitted"})`);
  assert.match(refused.message, /max_parallel/);
});
