// `quorum cluster init|join|show` as a user runs them: the join token is the last line of `init`, a second
// machine joins with it, both show the same cluster and fingerprint, the secret is shown only when asked,
// and a node reports its identity and cluster when it starts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { quorumBin, startNode } from "./harness.mjs";

function quorum(...args) {
  return quorumWithInput("", ...args);
}

function quorumWithInput(input, ...args) {
  const r = spawnSync(quorumBin(), args, { encoding: "utf8", timeout: 20000, input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function stateDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-cluster-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("init prints a join token last; join with it gives the same cluster on another machine", (t) => {
  const a = stateDir(t);
  const b = stateDir(t);
  const init = quorum("cluster", "init", "--state-dir", a);
  assert.equal(init.code, 0, init.stderr);
  const token = init.stdout.trim().split("\n").at(-1);
  assert.match(token, /^qc1\.[A-Za-z0-9_-]+$/);

  const join = quorum("cluster", "join", token, "--state-dir", b);
  assert.equal(join.code, 0, join.stderr);

  const showA = JSON.parse(quorum("cluster", "show", "--json", "--state-dir", a).stdout);
  const showB = JSON.parse(quorum("cluster", "show", "--json", "--state-dir", b).stdout);
  assert.equal(showA.cluster_id, showB.cluster_id);
  assert.equal(showA.fingerprint, showB.fingerprint);
  assert.notEqual(showA.node_id, showB.node_id, "each machine has its own node id");
  assert.ok(showA.name.length > 0);

  // The secret (inside the token) appears only with --show-secret, and the cluster file is private.
  const secret = JSON.parse(fs.readFileSync(path.join(a, "cluster.json"), "utf8")).secret;
  assert.equal(fs.statSync(path.join(a, "cluster.json")).mode & 0o777, 0o600);
  for (const args of [["show"], ["show", "--json"]]) {
    const out = quorum("cluster", ...args, "--state-dir", a).stdout;
    assert.ok(!out.includes(secret) && !out.includes(token), `${args.join(" ")} must not print the secret`);
  }
  const withSecret = JSON.parse(quorum("cluster", "show", "--json", "--show-secret", "--state-dir", a).stdout);
  assert.equal(withSecret.join_token, token);
});

test("the join token can come from standard input or a file, so it stays out of shell history and ps", (t) => {
  const a = stateDir(t);
  const token = quorum("cluster", "init", "--state-dir", a).stdout.trim().split("\n").at(-1);
  const cluster = JSON.parse(quorum("cluster", "show", "--json", "--state-dir", a).stdout).cluster_id;

  const fromStdin = stateDir(t);
  const piped = quorumWithInput(`  ${token}\r\n`, "cluster", "join", "--state-dir", fromStdin);
  assert.equal(piped.code, 0, piped.stderr);
  const dash = stateDir(t);
  assert.equal(quorumWithInput(`${token}\n`, "cluster", "join", "-", "--state-dir", dash).code, 0);

  const fromFile = stateDir(t);
  const file = path.join(fromFile, "token.txt");
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  const filed = quorum("cluster", "join", "--token-file", file, "--state-dir", fromFile);
  assert.equal(filed.code, 0, filed.stderr);
  for (const dir of [fromStdin, dash, fromFile]) {
    assert.equal(JSON.parse(quorum("cluster", "show", "--json", "--state-dir", dir).stdout).cluster_id, cluster);
  }

  const nothing = quorumWithInput("", "cluster", "join", "--state-dir", stateDir(t));
  assert.equal(nothing.code, 1);
  assert.match(nothing.stderr, /no join token on standard input/);
  const missing = quorum("cluster", "join", "--token-file", path.join(a, "nope"), "--state-dir", stateDir(t));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read a join token from/);
  const huge = path.join(a, "huge.txt");
  fs.writeFileSync(huge, "a".repeat(1 << 20));  // not a token: refused without being read whole
  const tooLong = quorum("cluster", "join", "--token-file", huge, "--state-dir", stateDir(t));
  assert.equal(tooLong.code, 1);
  assert.match(tooLong.stderr, /cannot read a join token from/);
});

test("a second init is refused unless --force; another cluster has another fingerprint", (t) => {
  const a = stateDir(t);
  assert.equal(quorum("cluster", "init", "--state-dir", a).code, 0);
  const before = JSON.parse(quorum("cluster", "show", "--json", "--state-dir", a).stdout);
  const again = quorum("cluster", "init", "--state-dir", a);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already belongs to cluster/);
  assert.equal(quorum("cluster", "init", "--force", "--state-dir", a).code, 0);
  const after = JSON.parse(quorum("cluster", "show", "--json", "--state-dir", a).stdout);
  assert.notEqual(after.cluster_id, before.cluster_id);
  assert.notEqual(after.fingerprint, before.fingerprint);
  assert.equal(after.node_id, before.node_id, "the node keeps its id");
});

test("a mistyped or foreign token is refused with a reason and changes nothing", (t) => {
  const a = stateDir(t);
  const token = quorum("cluster", "init", "--state-dir", stateDir(t)).stdout.trim().split("\n").at(-1);
  const typo = token.slice(0, 10) + (token[10] === "A" ? "B" : "A") + token.slice(11);
  for (const bad of ["hello", typo, token.slice(0, -4)]) {
    const r = quorum("cluster", "join", bad, "--state-dir", a);
    assert.equal(r.code, 1, bad);
    assert.match(r.stderr, /join token/);
  }
  assert.equal(JSON.parse(quorum("cluster", "show", "--json", "--state-dir", a).stdout).cluster_id, null);
});

test("the node reports its name, id and cluster when it starts", async (t) => {
  const node = await startNode();
  t.after(() => node.stop());
  const identity = JSON.parse(fs.readFileSync(path.join(node.stateDir, "node.json"), "utf8"));
  assert.match(node.output(), new RegExp(`node '${identity.name}' \\(${identity.id}\\), in no cluster`));
});
