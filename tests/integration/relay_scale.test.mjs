// Many streams over one node's relay link, with real processes: quorum-relay, one node with a scripted engine,
// clients on loopback. A client that stops reading holds back its own stream only (per-stream credit), and
// 500 streams at once over the one link all complete with their own content, after which the relay holds no
// stream and is back to its memory and descriptors of before.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import { waitFor } from "./harness.mjs";
import { relayMetric, startRelayCluster } from "./relay_cluster.mjs";

const sanitized = process.env.QUORUM_SANITIZED === "1";

function rssKiB(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
}
const openFds = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;

// A streaming request through node:http whose response the test holds: resolves with the response once its
// head arrived, paused (nothing more is read until the test resumes or destroys it).
function openPaused(url, key, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
    }, (res) => {
      res.pause();
      resolve({ req, res });
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

test("a client that stops reading its stream does not delay another client's stream through the same node", async (t) => {
  const c = await startRelayCluster({ nodes: 1 });
  t.after(() => c.stop());
  const [m] = c.members;
  const { req, res } = await openPaused(c.relay.url, c.key, { model: "flood", messages: [{ role: "user", content: "x" }], stream: true });
  t.after(() => req.destroy());
  assert.equal(res.statusCode, 200);
  let ended = false;
  res.on("end", () => (ended = true));
  res.on("close", () => (ended = true));
  // The flood has filled what the path between the engine and the paused client holds.
  await waitFor(() => m.engine.stats.bytesSent > 4 << 20, { timeoutMs: 30000, what: "the flood to fill the buffers" });

  const stream = await c.client().chat.completions.create({ model: "echo", messages: [{ role: "user", content: "quick" }], stream: true });
  let content = "";
  for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? "";
  assert.equal(content, "echo:quick");
  assert.equal(ended, false, "the first stream is still held, unread");
  // Back-pressure, not buffering: the flood stopped far short of its 64 MiB.
  const held = m.engine.stats.bytesSent;
  assert.ok(held < 48 << 20, `the engine was held back (${held} bytes written)`);
  t.diagnostic(`the engine wrote ${(held / 1048576).toFixed(1)} MiB before back-pressure held it`);

  // The client leaving cancels every hop behind it, down to the engine.
  req.destroy();
  await waitFor(async () => (await relayMetric(c.relay, "quorum_relay_open_streams")) === 0, { timeoutMs: 15000, what: "the held stream to close at the relay" });
  await waitFor(() => m.engine.stats.floodsCut === 1, { timeoutMs: 15000, what: "the engine to see the request cancelled" });
});

test("500 streams at once over one node's link all complete with their own content; the relay returns to its baseline", async (t) => {
  const c = await startRelayCluster({ nodes: 1 });
  t.after(() => c.stop());
  const pid = c.relay.proc.pid;
  const client = c.client();
  const one = async (i) => {
    const stream = await client.chat.completions.create({ model: "echo", messages: [{ role: "user", content: `message-${i}` }], stream: true });
    let content = "";
    for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? "";
    return content;
  };
  // Warm up (first allocations, the client's connections), then the baseline.
  await Promise.all(Array.from({ length: 20 }, (_, i) => one(i)));
  await waitFor(async () => (await relayMetric(c.relay, "quorum_relay_open_streams")) === 0, { what: "a quiet relay" });
  const baseRss = rssKiB(pid);
  const baseFds = openFds(pid);

  // Two rounds of 500: the first may leave the allocator's arenas larger; the second must not grow them more.
  const n = 500;
  const rss = [];
  for (let round = 0; round < 2; round++) {
    const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => one(i)));
    const failed = results.filter((r) => r.status === "rejected");
    assert.equal(failed.length, 0, `${failed.length} of ${n} failed, e.g. ${failed[0]?.reason}`);
    results.forEach((r, i) => assert.equal(r.value, `echo:message-${i}`));
    await waitFor(async () => (await relayMetric(c.relay, "quorum_relay_open_streams")) === 0, { timeoutMs: 15000, what: "no open stream at the relay" });
    // The client keeps its connections to the relay alive a few seconds (undici's keep-alive): the relay's
    // descriptors come back once they close.
    const peakFds = openFds(pid);
    await waitFor(() => openFds(pid) <= baseFds + 8, { timeoutMs: 90000, intervalMs: 250, what: () => `the relay's descriptors back near ${baseFds} (peak ${peakFds}, now ${openFds(pid)})` });
    rss.push(rssKiB(pid));
    t.diagnostic(`round ${round + 1}: relay RSS ${baseRss} KiB before, ${rss.at(-1)} KiB after; descriptors ${baseFds} before, ${peakFds} right after the streams`);
  }
  assert.equal(c.members[0].engine.requests.filter((r) => r.body.model === "echo").length, 20 + 2 * n);
  if (!sanitized) {
    assert.ok(rss[0] < baseRss + 32 * 1024, `the relay's memory returned near its baseline (${baseRss} → ${rss[0]} KiB)`);
    assert.ok(rss[1] < rss[0] + 8 * 1024, `a second round did not grow it further (${rss[0]} → ${rss[1]} KiB)`);
  }
});
