// The embedded llama.cpp engine against hostile numbers in one request (issue 10, H1 and L5): sizes far beyond
// the slot (repeat_last_n, top_k) are fitted to it rather than allocated, and numbers no integer type holds
// are a 400 naming the field. Either way the node answers and goes on serving the next request.
//
// The node's peak resident memory (VmHWM in /proc) shows whether a size reached llama.cpp unbounded: its
// penalty sampler allocates repeat_last_n tokens up front, 8 GiB for INT32_MAX.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startNode, modelsDir, readSse } from "./harness.mjs";

const user = (content) => [{ role: "user", content }];

function post(node, route, body) {
  return fetch(`${node.url}${route}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

// Peak resident memory of the node process, in bytes.
function peakRss(node) {
  const status = fs.readFileSync(`/proc/${node.proc.pid}/status`, "utf8");
  return Number(status.match(/^VmHWM:\s+(\d+) kB/m)[1]) * 1024;
}

// A plain chat request that must succeed: the node still serves.
async function stillServes(node) {
  const res = await post(node, "/v1/chat/completions", { model: "tiny-a", messages: user("again"), max_tokens: 3 });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.object, "chat.completion");
  assert.ok(body.usage.completion_tokens >= 1);
}

describe("embedded engine: hostile numbers in a request", () => {
  let node;
  let dir;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-models-"));
    fs.copyFileSync(path.join(await modelsDir(), "tiny-a.gguf"), path.join(dir, "tiny-a.gguf"));
    node = await startNode({ args: ["--models-dir", dir, "--probe-interval", "1", "--model-slots", "2"] });
  });

  after(async () => {
    await node?.stop(); // fails the test if the node died
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("repeat_last_n and top_k of INT32_MAX are fitted to the slot: 200 with a completion, no 8 GiB", async () => {
    await stillServes(node); // the model is loaded before the baseline is taken
    const baseline = peakRss(node);
    const huge = { presence_penalty: 0.1, repeat_last_n: 2147483647, top_k: 2147483647, max_tokens: 4 };

    const res = await post(node, "/v1/chat/completions", { model: "tiny-a", messages: user("hi"), ...huge });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.choices.length, 1);
    assert.equal(typeof body.choices[0].message.content, "string");
    assert.ok(["stop", "length"].includes(body.choices[0].finish_reason), JSON.stringify(body));
    assert.ok(body.usage.completion_tokens >= 1 && body.usage.completion_tokens <= 4);

    // Streaming and text completions take the same path; larger-than-int32 values too.
    const s = await post(node, "/v1/chat/completions", { model: "tiny-a", messages: user("hi"), stream: true, ...huge });
    assert.equal(s.status, 200);
    const events = await readSse(s);
    assert.equal(events.at(-1), "[DONE]");
    assert.ok(events.slice(0, -1).every((e) => !JSON.parse(e).error), events.join("\n"));
    const c2 = await post(node, "/v1/completions", '{"model":"tiny-a","prompt":"hi","presence_penalty":0.1,' +
      '"repeat_last_n":9999999999,"top_k":9223372036854775807,"max_tokens":4}');
    assert.equal(c2.status, 200);
    assert.equal((await c2.json()).object, "text_completion");

    const grown = peakRss(node) - baseline;
    assert.ok(grown < 1024 ** 3, `peak memory grew by ${(grown / 1024 ** 3).toFixed(2)} GiB`);
    await stillServes(node);
  });

  test("numbers out of range in any integer field are a 400 naming the field, and the node goes on", async () => {
    // Raw bodies: JSON.stringify cannot write 18446744073709551615 exactly.
    const fields = ["max_tokens", "max_completion_tokens", "n", "seed", "top_k", "repeat_last_n"];
    for (const field of fields) {
      for (const value of ["1e300", "1e19", "-1e19", "1.5", "18446744073709551615"]) {
        const body = `{"model":"tiny-a","messages":[{"role":"user","content":"hi"}],"${field}":${value}}`;
        const res = await post(node, "/v1/chat/completions", body);
        assert.equal(res.status, 400, body);
        const { error } = await res.json();
        assert.equal(error.type, "invalid_request_error", body);
        assert.equal(error.param, field, body);
      }
    }
    const res = await post(node, "/v1/completions", '{"model":"tiny-a","prompt":"hi","max_tokens":1e300}');
    assert.equal(res.status, 400);
    const { error } = await res.json();
    assert.equal(error.code, "integer_above_max_value");
    assert.match(error.message, /'max_tokens'.*1e\+300/);
    await stillServes(node);
  });
});
