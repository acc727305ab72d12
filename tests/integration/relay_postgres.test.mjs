// The relay on PostgreSQL, end to end on loopback, with a PostgreSQL 15 the test starts itself
// (pg_server.mjs): `quorum-relay serve --database postgres://…` (the URL from QUORUM_RELAY_DATABASE, so not in
// `ps`) takes a node's enrolment, a key made by `quorum keys create`, a request through the relay with that
// key, and records its usage; the password in the URL is never logged; PostgreSQL going away mid-run makes
// requests 503 without stopping the relay, which connects again when it is back. Then `quorum-relay migrate` copies a
// relay.db made by a real SQLite relay run into an empty PostgreSQL database, refuses a database that holds
// rows, and the relay started again on the copy serves the same node and key, with its usage kept.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { modelsDir, quorumBin, relayBin, startNode, startRelay, waitFor } from "./harness.mjs";
import { startPostgres } from "./pg_server.mjs";

let pg, modelDir;
const cleanups = [];

function quorum(...args) {
  return execFileSync(quorumBin(), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
function relayCli(args, env = {}) {
  return execFileSync(relayBin(), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
}
function lastLine(text) {
  return text.trim().split("\n").at(-1);
}

// The relay started with `env` added to the environment (the database URL rides there).
async function relayWith(env, options = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await startRelay(options);
  } finally {
    for (const k of Object.keys(env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

// A cluster of one node enrolled at `relay` with a token from `tokenEnv`'s store; its state dir and node.
async function enrolNode(relay, tokenEnv) {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-relay-pg-node-"));
  cleanups.push(() => fs.rmSync(stateDir, { recursive: true, force: true }));
  quorum("cluster", "init", "--state-dir", stateDir);
  const token = lastLine(relayCli(["token", "create", "--data", relay.dataDir, "--note", "pg test"], tokenEnv));
  assert.match(token, /^qe_/);
  quorum("relay", "join", relay.url, token, "--state-dir", stateDir);
  const node = await startNode({ stateDir, keepStateDir: true, args: ["--models-dir", modelDir, "--no-mdns", "--probe-interval", "1"] });
  return { stateDir, node };
}

async function ask(relay, key) {
  const r = await fetch(`${relay.url}/v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "tiny-a", messages: [{ role: "user", content: "hi" }], max_tokens: 4 }),
  });
  return { status: r.status, body: await r.json() };
}

async function modelsVisible(relay, key) {
  await waitFor(async () => {
    const r = await fetch(`${relay.url}/v1/models`, { headers: { Authorization: `Bearer ${key}` } });
    return r.status === 200 && (await r.json()).data.some((m) => m.id === "tiny-a");
  }, { timeoutMs: 30000, what: "the node's models at the relay" });
}

// The requests `quorum-relay usage` lists for model tiny-a.
function requestsIn(usageText) {
  return usageText.split("\n").filter((l) => l.includes(" tiny-a ")).reduce((n, l) => n + Number(l.trim().split(/\s+/)[5]), 0);
}

before(async () => {
  pg = await startPostgres();
  if (!pg) return;
  const cache = await modelsDir();
  modelDir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-relay-pg-models-"));
  fs.copyFileSync(path.join(cache, "tiny-a.gguf"), path.join(modelDir, "tiny-a.gguf"));
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  await pg?.stop();
  if (modelDir) fs.rmSync(modelDir, { recursive: true, force: true });
});

test("quorum-relay serve --database postgres://…: enrol, key, a request through the relay, usage recorded", async (t) => {
  if (!pg) return t.skip("PostgreSQL 15 is not installed");
  // trust authentication ignores the password: it is there to show it never reaches the log.
  const url = pg.createDatabase("relay_live", "&password=pw-never-logged");
  const env = { QUORUM_RELAY_DATABASE: url };
  const relay = await relayWith(env);
  cleanups.push(async () => {
    await relay.stop();
    relay.remove();
  });
  const { stateDir, node } = await enrolNode(relay, env);
  cleanups.push(() => node.stop());
  const key = lastLine(quorum("keys", "create", "pg", "--state-dir", stateDir));
  assert.match(key, /^qk_/);
  await modelsVisible(relay, key);

  const answer = await ask(relay, key);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.ok(answer.body.usage.completion_tokens > 0);
  const bad = await ask(relay, key.slice(0, -4) + "AAAA");
  assert.equal(bad.status, 401);

  // Usage is in PostgreSQL (written every 5 s), read back by the CLI from the same database.
  await waitFor(() => requestsIn(relayCli(["usage", "--data", relay.dataDir], env)) === 1,
    { timeoutMs: 20000, intervalMs: 500, what: "the request in the PostgreSQL usage" });
  // Nothing of it in a SQLite file: the data directory holds no relay.db.
  assert.ok(!fs.existsSync(path.join(relay.dataDir, "relay.db")), "no relay.db when the store is PostgreSQL");
  assert.match(relay.output(), /store: PostgreSQL at postgresql:\/\/\/relay_live\?.*password=\*\*\*/);
  assert.ok(!relay.output().includes("pw-never-logged"), "the password is not in the relay's log");

  // PostgreSQL goes away while the relay runs: a request needing the store is a 503, the relay and its node
  // link stay up; once PostgreSQL is back, the relay's pool connects again by itself.
  await pg.halt();
  const down = await ask(relay, key);
  assert.equal(down.status, 503, JSON.stringify(down.body));
  assert.match(down.body.error.message, /relay database unavailable/);
  const health = await (await fetch(`${relay.url}/health`)).json();
  assert.equal(health.nodes, 1, "the node stays linked");
  await pg.start();
  await waitFor(async () => (await ask(relay, key)).status === 200, { timeoutMs: 20000, intervalMs: 500, what: "the relay on PostgreSQL again" });
  assert.equal(relay.proc.exitCode, null, "the relay never stopped");
  await node.stop();
  await relay.stop();
});

test("quorum-relay migrate copies a real relay.db into an empty PostgreSQL, and the relay runs on it", async (t) => {
  if (!pg) return t.skip("PostgreSQL 15 is not installed");
  // A SQLite relay run: a node enrols, a key is made and used, usage is written.
  const sqliteRelay = await startRelay();
  const { stateDir, node } = await enrolNode(sqliteRelay, {});
  cleanups.push(() => node.stop());
  const key = lastLine(quorum("keys", "create", "before-move", "--state-dir", stateDir));
  await modelsVisible(sqliteRelay, key);
  assert.equal((await ask(sqliteRelay, key)).status, 200);
  await waitFor(() => requestsIn(relayCli(["usage", "--data", sqliteRelay.dataDir])) === 1,
    { timeoutMs: 20000, intervalMs: 500, what: "the request in the SQLite usage" });
  await sqliteRelay.stop();

  const url = pg.createDatabase("relay_moved");
  const copied = relayCli(["migrate", "--from", sqliteRelay.dataDir, "--to", url]);
  for (const table of ["enrol_tokens", "clusters", "nodes", "node_sessions", "api_keys", "usage_daily"]) {
    assert.match(copied, new RegExp(`${table}: [1-9][0-9]* rows`), copied);
  }
  // A second copy into the same (now full) database is refused, and changes nothing.
  const again = spawnSync(relayBin(), ["migrate", "--from", sqliteRelay.dataDir, "--to", url], { encoding: "utf8" });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /not empty/);

  // The relay again, on the same address and data directory, now on PostgreSQL: the node comes back by
  // itself, the key made before the move works, and the usage made before it is there.
  const env = { QUORUM_RELAY_DATABASE: url };
  const pgRelay = await relayWith(env, { port: sqliteRelay.port, dataDir: sqliteRelay.dataDir });
  cleanups.push(async () => {
    await pgRelay.stop();
    pgRelay.remove();
  });
  await modelsVisible(pgRelay, key);
  assert.equal((await ask(pgRelay, key)).status, 200);
  await waitFor(() => requestsIn(relayCli(["usage", "--data", pgRelay.dataDir], env)) === 2,
    { timeoutMs: 20000, intervalMs: 500, what: "the usage from before the move plus the new request" });
});
