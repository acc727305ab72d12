// Deploying the relay, without systemd: scripts/relay-rollout.sh against a relay that this test supervises the
// way the unit's Restart=always does (the installed binary started again 100 ms after the relay exits), with
// "restart" meaning: stop the relay and wait for it to be gone. A rollout to a new build puts it in service
// and keeps the old one; --rollback goes back by hand; a build that does not serve is rolled back by the
// script itself and the previous binary serves again; a file that does not even run is refused before
// anything changes. And scripts/install-relay.sh --root lays out the binary, the unit (which systemd accepts)
// and the settings.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort, relayBin, waitFor } from "./harness.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const rolloutScript = path.join(repo, "scripts/relay-rollout.sh");
let work, target, pidFile, restartScript, port, dataDir, supervisor, relayId;

// The relay binary with a marker appended (an ELF file ignores what follows its sections), so that a test
// can tell which build a file is.
function build(name, marker) {
  const file = path.join(work, name);
  fs.copyFileSync(relayBin(), file);
  fs.appendFileSync(file, `\n#quorum-test-build:${marker}\n`);
  fs.chmodSync(file, 0o755);
  return file;
}
function markerOf(file) {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, "r");
  const tail = Buffer.alloc(Math.min(64, size));
  fs.readSync(fd, tail, 0, tail.length, size - tail.length);
  fs.closeSync(fd);
  return /#quorum-test-build:(\S+)\n$/.exec(tail.toString("latin1"))?.[1] ?? null;
}
function script(name, body) {
  const file = path.join(work, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

// The stand-in for systemd: runs `binary` with `args`, again 100 ms after every exit (RestartSec), until
// stop(). The pid of the running relay is in pidFile.
class Supervisor {
  constructor(binary, args) {
    this.binary = binary;
    this.args = args;
    this.output = "";
    this.stopped = false;
    this.starts = 0;
    this.start();
  }
  start() {
    if (this.stopped) return;
    this.starts++;
    const proc = spawn(this.binary, this.args, { stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    const keep = (d) => {
      this.output = (this.output + d).slice(-100000);
    };
    proc.stdout.on("data", keep);
    proc.stderr.on("data", keep);
    proc.on("error", (e) => keep(`spawn failed: ${e.message}\n`));
    this.exited = new Promise((resolve) => proc.on("exit", resolve));
    this.exited.then(() => {
      if (!this.stopped) this.timer = setTimeout(() => this.start(), 100);
    });
    if (proc.pid) fs.writeFileSync(pidFile, String(proc.pid));
  }
  async stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
process.on("exit", () => supervisor?.proc.kill("SIGKILL"));

const healthUrl = () => `http://127.0.0.1:${port}/health`;
async function health() {
  const r = await fetch(healthUrl());
  return { status: r.status, body: await r.json() };
}
// The running relay's executable is the file installed at `target` now (the same inode).
function servingFromTarget() {
  const pid = Number(fs.readFileSync(pidFile, "utf8"));
  return fs.statSync(`/proc/${pid}/exe`).ino === fs.statSync(target).ino;
}

async function rollout(args, { healthTimeout = 30 } = {}) {
  const env = {
    ...process.env,
    QUORUM_ROLLOUT_TARGET: target,
    QUORUM_ROLLOUT_RESTART: `sh ${restartScript}`,
    QUORUM_ROLLOUT_HEALTH_URL: healthUrl(),
    QUORUM_ROLLOUT_HEALTH_TIMEOUT: String(healthTimeout),
    QUORUM_ROLLOUT_STABLE_SECONDS: "1",
  };
  try {
    const { stdout, stderr } = await promisify(execFile)("bash", [rolloutScript, ...args], { env, timeout: 180000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (typeof e.code !== "number") throw e;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-relay-deploy-"));
  fs.mkdirSync(path.join(work, "bin"));
  target = path.join(work, "bin/quorum-relay");
  fs.renameSync(build("first", "1"), target);
  pidFile = path.join(work, "relay.pid");
  dataDir = path.join(work, "data");
  fs.mkdirSync(dataDir);
  port = await freePort();
  // `systemctl restart`: the relay is stopped (and gone) when it returns; the supervisor starts it again.
  restartScript = script("restart.sh", [
    `pid=$(cat ${pidFile})`,
    'kill -TERM "$pid" 2>/dev/null || exit 0',
    'while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done',
  ].join("\n"));
  supervisor = new Supervisor(target, ["serve", "--listen", `127.0.0.1:${port}`, "--data", dataDir]);
  await waitFor(async () => (await health()).status === 200, { timeoutMs: 30000, what: "the supervised relay" });
  relayId = (await health()).body.relay_id;
});

after(async () => {
  await supervisor?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test("a rollout swaps in the new build, restarts the relay on it, passes the health check and keeps the old binary", async () => {
  const r = await rollout([build("second", "2")]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${supervisor.output.slice(-2000)}`);
  assert.match(r.stdout, /rolled out: quorum-relay|rolled out: \S+ serves/);
  assert.equal(markerOf(target), "2", "the new build is installed");
  assert.equal(markerOf(`${target}.old`), "1", "the previous build is kept beside it");
  assert.ok(!fs.existsSync(`${target}.new`), "no half-done copy is left");
  assert.ok(servingFromTarget(), "the relay runs from the new file");
  const h = await health();
  assert.equal(h.status, 200);
  assert.equal(h.body.relay_id, relayId, "the same data directory");
});

test("--rollback goes back to the binary before the last rollout", async () => {
  const r = await rollout(["--rollback"]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /rolled back/);
  assert.equal(markerOf(target), "1");
  assert.equal(markerOf(`${target}.rolled-back`), "2", "the build it replaced is kept");
  assert.ok(servingFromTarget());
  assert.equal((await health()).status, 200);
});

test("a build that does not serve is rolled back by the script, and the previous binary serves again", async () => {
  const broken = script("broken", 'if [ "$1" = --version ]; then echo 9.9.9-broken; exit 0; fi\necho "broken build" >&2\nexit 1');
  const startsBefore = supervisor.starts;
  const r = await rollout([broken], { healthTimeout: 8 });
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /9\.9\.9-broken is not healthy .* rolling back/);
  assert.match(r.stderr, /rolled back: .* serves again/);
  assert.ok(supervisor.output.includes("broken build"), "the broken build did run (and exit)");
  assert.ok(supervisor.starts > startsBefore + 1, "restarted onto the broken build, then back");
  assert.equal(markerOf(target), "1", "the previous build is installed again");
  assert.match(fs.readFileSync(`${target}.failed`, "utf8"), /broken build/, "the failed build is kept to look at");
  assert.ok(servingFromTarget(), "the relay runs from the previous build");
  const h = await health();
  assert.equal(h.status, 200);
  assert.equal(h.body.relay_id, relayId);
});

test("a file that does not run is refused before anything changes, and the relay is not restarted", async () => {
  const pid = fs.readFileSync(pidFile, "utf8");
  const startsBefore = supervisor.starts;
  for (const bad of [script("fails", "exit 1"), path.join(work, "missing")]) {
    const r = await rollout([bad]);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /nothing changed|no file/);
    assert.equal(markerOf(target), "1");
    assert.ok(!fs.existsSync(`${target}.new`));
  }
  assert.equal(fs.readFileSync(pidFile, "utf8"), pid, "the same relay process");
  assert.equal(supervisor.starts, startsBefore);
  assert.equal((await health()).status, 200);
});

test("install-relay.sh --root lays out the binary, the unit, the rollout script and the settings; systemd accepts the unit", () => {
  const root = path.join(work, "root");
  const run = () => spawnSync("bash", [path.join(repo, "scripts/install-relay.sh"), "--root", root, "--binary", relayBin()], { encoding: "utf8" });
  let r = run();
  assert.equal(r.status, 0, r.stderr);
  const bin = path.join(root, "usr/local/bin/quorum-relay");
  const unit = path.join(root, "etc/systemd/system/quorum-relay.service");
  const env = path.join(root, "etc/quorum-relay/relay.env");
  assert.equal(fs.statSync(bin).mode & 0o777, 0o755);
  assert.equal(fs.statSync(path.join(root, "usr/local/sbin/quorum-relay-rollout")).mode & 0o777, 0o755);
  assert.ok(fs.existsSync(path.join(root, "usr/local/share/doc/quorum-relay/relay-deploy.md")));
  assert.match(fs.readFileSync(env, "utf8"), /^QUORUM_RELAY_LISTEN=127\.0\.0\.1:8443$/m);
  // Again, over an edited relay.env: the binary and unit are replaced, the settings kept.
  fs.appendFileSync(env, "QUORUM_RELAY_ARGS=--drain-timeout 10\n");
  r = run();
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(env, "utf8"), /--drain-timeout 10/);

  const text = fs.readFileSync(unit, "utf8");
  for (const line of ["Restart=always", "RestartSec=1", "LimitNOFILE=65536", "User=quorum-relay",
    "StateDirectory=quorum-relay", "ExecReload=/bin/kill -HUP $MAINPID"]) {
    assert.ok(text.split("\n").includes(line), `the unit has ${line}`);
  }
  assert.match(text, /^ExecStart=\/usr\/local\/bin\/quorum-relay serve .*--data %S\/quorum-relay/m);
  if (spawnSync("systemd-analyze", ["--version"]).status !== 0) return;  // no systemd tools here
  // (verify checks that ExecStart's program exists: point it at the one just installed.)
  const checked = path.join(work, "quorum-relay.service");
  fs.writeFileSync(checked, text.replaceAll("/usr/local/bin/quorum-relay", bin));
  const v = spawnSync("systemd-analyze", ["verify", checked], { encoding: "utf8" });
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stderr.trim(), "", "no unknown or misspelt settings");
});
