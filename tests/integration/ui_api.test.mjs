// The local UI's API (docs/ui-api.md) against a real node with its embedded engine serving the tiny test models:
// who may use it (loopback Host, loopback Origin, the per-launch token of the served page), the event stream
// (a snapshot, then whole parts as they change: requests, models loaded and unloaded, files dropped in the
// models folder, engines added and removed), and what the writes keep across a restart (settings.json).
// The browser's view of the same is tests/integration/ui_browser.test.mjs.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { startNode, modelsDir, modelsFolder, waitFor } from "./harness.mjs";

// The token as the node's page carries it.
async function pageToken(node) {
  const html = await (await fetch(`${node.url}/`, { signal: timeout() })).text();
  const m = html.match(/<meta name="quorum-ui-token" content="([0-9a-f]{32})">/);
  assert.ok(m, `the page carries the token (was the UI built?):\n${html.slice(0, 300)}`);
  return m[1];
}

// Every request of this file gives up after 20 s, so that a node that stops answering fails the test.
const timeout = () => AbortSignal.timeout(20000);

function write(node, token, action, body = {}, headers = {}) {
  return fetch(`${node.url}/api/ui/${action}`, {
    signal: timeout(),
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Quorum-UI-Token": token, ...headers },
    body: JSON.stringify(body),
  });
}

// The node's event stream: every record as {event, data}; next(pred) waits for the first one (seen or to come)
// that matches, after the last one next() returned.
function events(node) {
  const controller = new AbortController();
  const seen = [];
  let cursor = 0;
  let wake = () => {};
  const done = (async () => {
    const response = await fetch(`${node.url}/api/ui/events`, { signal: controller.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type"), /text\/event-stream/);
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = block.match(/^event: (.*)$/m)?.[1];
        const data = block.match(/^data: (.*)$/m)?.[1];
        if (event) seen.push({ event, data: JSON.parse(data) });
        wake();
      }
    }
  })().catch((e) => {
    if (e.name !== "AbortError" && !controller.signal.aborted) throw e;
  });
  return {
    seen,
    async next(pred, { timeoutMs = 15000, what = "event" } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (cursor < seen.length) {
          const r = seen[cursor++];
          if (pred(r)) return r;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; saw: ${seen.map((r) => r.event).join(", ")}`);
        await new Promise((resolve) => {
          const t = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    },
    // Aborts the stream and does not wait for the reader: after an abort, undici may leave a pending read of
    // the body unsettled (a run hung there), and nothing after close() needs the reader to have ended.
    close() {
      controller.abort();
    },
  };
}

// A request with exactly these head lines (no Host unless given): the status line's code.
function rawStatus(port, lines) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(lines.join("\r\n") + "\r\n\r\n"));
    let got = "";
    socket.on("data", (d) => {
      got += d;
      const m = got.match(/^HTTP\/1\.1 (\d{3})/);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on("error", reject);
  });
}

describe("the local UI's API", () => {
  let node;
  let folder;
  let token;

  before(async () => {
    folder = await modelsFolder("tiny-a");
    node = await startNode({ args: ["--models-dir", folder, "--name", "ui-test"] });
    token = await pageToken(node);
  });
  after(() => node?.stop());

  test("the page and its files are served on loopback; the API stays where it was", async () => {
    const page = await fetch(`${node.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type"), /text\/html/);
    assert.equal(page.headers.get("cache-control"), "no-store");
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    const html = await page.text();
    const script = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    assert.ok(script, "index.html names its script");
    const js = await fetch(`${node.url}${script}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type"), /javascript/);
    assert.match(js.headers.get("cache-control"), /immutable/);
    const etag = js.headers.get("etag");
    assert.equal((await fetch(`${node.url}${script}`, { headers: { "If-None-Match": etag } })).status, 304);
    assert.equal((await fetch(`${node.url}/assets/nope.js`)).status, 404);
    const models = await (await fetch(`${node.url}/v1/models`)).json();
    assert.deepEqual(models.data.map((m) => m.id), ["tiny-a"]);
  });

  test("another site gets nothing: a foreign Host (DNS rebinding), no Host, a foreign Origin", async () => {
    assert.equal(await rawStatus(node.port, ["GET /api/ui/snapshot HTTP/1.1", "Host: evil.example:" + node.port]), 421);
    assert.equal(await rawStatus(node.port, ["GET / HTTP/1.1", "Host: attacker.test"]), 421);
    assert.equal(await rawStatus(node.port, ["GET /api/ui/snapshot HTTP/1.1"]), 421);
    const foreign = await fetch(`${node.url}/api/ui/snapshot`, { headers: { Origin: "https://evil.example" } });
    assert.equal(foreign.status, 403);
    const write403 = await write(node, token, "cluster/init", {}, { Origin: "https://evil.example" });
    assert.equal(write403.status, 403);
    const snapshot = await (await fetch(`${node.url}/api/ui/snapshot`, { signal: timeout() })).json();
    assert.equal(snapshot.cluster, null, "nothing changed");
  });

  test("writes need the page's token, JSON, and a known action", async () => {
    for (const bad of ["", "0".repeat(32), token.slice(0, 31)]) {
      const r = await write(node, bad, "cluster/init");
      assert.equal(r.status, 403);
      assert.equal((await r.json()).error.code, "ui_token");
    }
    const form = await fetch(`${node.url}/api/ui/cluster/init`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Quorum-UI-Token": token },
      body: "a=b",
    });
    assert.equal(form.status, 415);
    const notJson = await fetch(`${node.url}/api/ui/node`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Quorum-UI-Token": token },
      body: "{nope",
    });
    assert.equal(notJson.status, 400);
    assert.equal((await write(node, token, "self-destruct")).status, 404);
    assert.equal((await fetch(`${node.url}/api/ui/snapshot`, { method: "POST" })).status, 405);
    const snapshot = await (await fetch(`${node.url}/api/ui/snapshot`, { signal: timeout() })).json();
    assert.equal(snapshot.cluster, null);
  });

  test("the stream starts with the snapshot and tells each request, without its text", async () => {
    const stream = events(node);
    try {
      const first = await stream.next(() => true, { what: "snapshot" });
      assert.equal(first.event, "snapshot");
      assert.equal(first.data.node.name, "ui-test");
      assert.equal(first.data.nodes[0].self, true);
      assert.equal(first.data.nodes[0].state, "online");
      assert.deepEqual(first.data.models_folder.files.map((f) => f.name), ["tiny-a.gguf"]);
      const model = first.data.models.find((m) => m.id === "tiny-a");
      assert.ok(model.embedded);
      assert.equal(model.size_bytes, fs.statSync(path.join(folder, "tiny-a.gguf")).size);

      const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const secret = "the-prompt-text-must-not-show-up";
      await client.chat.completions.create({ model: "tiny-a", messages: [{ role: "user", content: secret }], max_tokens: 5 });
      const load = await stream.next((r) => r.event === "load" && r.data.in_flight === 1, { what: "load 1" });
      assert.ok(load);
      const done = await stream.next((r) => r.event === "request", { what: "request" });
      assert.equal(done.data.record.model, "tiny-a");
      assert.equal(done.data.record.status, 200);
      assert.equal(done.data.record.node_name, "ui-test");
      assert.ok(done.data.record.completion_tokens > 0);
      assert.ok(done.data.record.duration_ms >= 0);
      assert.ok(!stream.seen.some((r) => JSON.stringify(r.data).includes(secret)), "no prompt text in events");
      const snapshot = await (await fetch(`${node.url}/api/ui/snapshot`, { signal: timeout() })).json();
      assert.equal(snapshot.requests.recent[0].request_id, done.data.record.request_id);
    } finally {
      stream.close();
    }
  });

  test("load and unload from the page, and a file dropped in the folder, reach the stream", async () => {
    const stream = events(node);
    try {
      const first = await stream.next((r) => r.event === "snapshot");
      // The request above loaded tiny-a; the engines' next look (every 5 s) tells.
      if (!first.data.models.find((m) => m.id === "tiny-a")?.loaded) {
        await stream.next((r) => r.event === "models" && r.data.find((m) => m.id === "tiny-a")?.loaded, {
          what: "tiny-a loaded by the request",
        });
      }
      // Unload it from the page; then load it again.
      const unloaded = await write(node, token, "models/unload", { id: "tiny-a" });
      assert.equal(unloaded.status, 200, await unloaded.clone().text());
      await stream.next((r) => r.event === "models" && r.data.find((m) => m.id === "tiny-a")?.loaded === false, {
        what: "tiny-a unloaded",
      });
      const again = await write(node, token, "models/unload", { id: "tiny-a" });
      assert.equal(again.status, 404);
      assert.equal((await write(node, token, "models/load", { id: "tiny-a" })).status, 200);
      await stream.next((r) => r.event === "models" && r.data.find((m) => m.id === "tiny-a")?.loaded === true, {
        what: "tiny-a loaded",
      });
      assert.equal((await write(node, token, "models/load", { id: "no-such-model" })).status, 404);

      fs.copyFileSync(path.join(await modelsDir(), "tiny-b.gguf"), path.join(folder, "tiny-b.gguf"));
      await stream.next(
        (r) => r.event === "models_folder" && r.data.files.some((f) => f.name === "tiny-b.gguf"),
        { what: "tiny-b in the folder", timeoutMs: 20000 },
      );
    } finally {
      stream.close();
    }
  });

  test("an engine added from the page is probed at once, kept in settings.json, and removed again", async () => {
    const stream = events(node);
    try {
      await stream.next((r) => r.event === "snapshot");
      const added = await write(node, token, "engines/add", { name: "box", url: "http://127.0.0.1:9" });
      assert.equal(added.status, 200, await added.clone().text());
      const seen = await stream.next((r) => r.event === "engines" && r.data.some((e) => e.name === "box"), {
        what: "engine box",
      });
      const box = seen.data.find((e) => e.name === "box");
      assert.equal(box.removable, true);
      await stream.next((r) => r.event === "engines" && r.data.find((e) => e.name === "box")?.last_error, {
        what: "box probed and down",
      });
      const settings = JSON.parse(fs.readFileSync(path.join(node.stateDir, "settings.json"), "utf8"));
      assert.deepEqual(settings.engines, [{ name: "box", type: "openai", url: "http://127.0.0.1:9" }]);
      assert.equal((await write(node, token, "engines/add", { name: "box", url: "http://127.0.0.1:9" })).status, 409);
      assert.equal((await write(node, token, "engines/add", { name: "bad name", url: "http://x" })).status, 400);
      assert.equal((await write(node, token, "engines/remove", { name: "llamacpp" })).status, 409);
      assert.equal((await write(node, token, "engines/remove", { name: "box" })).status, 200);
      await stream.next((r) => r.event === "engines" && !r.data.some((e) => e.name === "box"), { what: "box gone" });
    } finally {
      stream.close();
    }
  });

  test("joining a cluster from the page restarts the node in place, keeps the token, and lasts", async () => {
    const stream = events(node);
    await stream.next((r) => r.event === "snapshot");
    const pid = node.proc.pid;
    const created = await write(node, token, "cluster/init");
    assert.equal(created.status, 200);
    assert.deepEqual(await created.json(), { restarting: true, ok: true });
    await stream.next((r) => r.event === "restarting", { what: "restarting" });
    stream.close();
    const snapshot = await waitFor(
      async () => {
        const s = await (await fetch(`${node.url}/api/ui/snapshot`, { signal: timeout() })).json();
        return s.cluster ? s : null;
      },
      { timeoutMs: 20000, what: "the node back in a cluster" },
    );
    assert.match(snapshot.cluster.id, /^[0-9a-f]{16}$/);
    assert.equal(node.proc.pid, pid, "same process");
    assert.equal(await pageToken(node), token, "the page's token still works");
    const shown = await write(node, token, "cluster/token");
    const { token: joinToken } = await shown.json();
    assert.ok(joinToken.length > 20);
    const renamed = await write(node, token, "node", { name: "renamed-node" });
    assert.equal(renamed.status, 200);
    await waitFor(async () => (await (await fetch(`${node.url}/api/ui/snapshot`, { signal: timeout() })).json()).node.name === "renamed-node", {
      timeoutMs: 20000,
      what: "the new name (over --name ui-test)",
    });
  });
});
