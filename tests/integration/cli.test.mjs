// `quorum chat` and `quorum models` as a user runs them, against a node in front of a scripted engine.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { startNode, quorumBin } from "./harness.mjs";
import { startScriptedEngine } from "./scripted_engine.mjs";

let engine, node;

before(async () => {
  engine = await startScriptedEngine();
  node = await startNode({ args: ["--engine", `script=${engine.url}`, "--idle-timeout", "2"] });
});
after(async () => {
  await node?.stop();
  await engine?.stop();
});

function run(args, { input } = {}) {
  return new Promise((resolve, reject) => {
    // Without input, standard input is /dev/null: a pipe the CLI never reads would race its exit (EPIPE).
    const p = spawn(quorumBin(), args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 20000);
    p.on("error", reject);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) {
      p.stdin.on("error", () => {}); // a CLI that exits before reading is judged by its exit code, not by EPIPE here
      p.stdin.end(input);
    }
  });
}

test("quorum chat streams the answer; reasoning goes apart from it", async () => {
  const r = await run(["chat", "--url", node.url, "-m", "vllm-reasoning", "hello"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "Answer.");
  assert.match(r.stderr, /Let me think\./); // not a terminal: reasoning on stderr
  assert.equal(engine.requests.at(-1).body.messages.at(-1).content, "hello");
});

test("quorum chat reads the prompt from standard input", async () => {
  const r = await run(["chat", "--url", node.url, "-m", "slow-start"], { input: "from stdin\n" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "late");
  assert.equal(engine.requests.at(-1).body.messages.at(-1).content, "from stdin");
});

test("quorum chat exits non-zero with the server's message", async () => {
  let r = await run(["chat", "--url", node.url, "-m", "missing-model", "hi"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /missing-model/);
  assert.match(r.stderr, /does not exist/);
  r = await run(["chat", "--url", node.url, "-m", "truncated", "hi"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error:/);
  r = await run(["chat", "--url", "http://127.0.0.1:1", "-m", "x", "hi"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Could not reach/);
});

test("quorum models lists the models and their engines", async () => {
  const r = await run(["models", "--url", node.url]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^MODEL\s+LOADED\s+ENGINES/m);
  assert.match(r.stdout, /^vllm-reasoning\s+yes\s+script$/m);
  const j = await run(["models", "--url", node.url, "--json"]);
  assert.ok(JSON.parse(j.stdout).data.length > 3);
});
