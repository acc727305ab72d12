// mDNS interoperability with Avahi, the mDNS daemon of most Linux hosts. Two hosts, each a network namespace,
// joined by a bridge in a third (traffic never leaves these namespaces; addresses are in a private test
// range): host A runs avahi-daemon (with its own dbus-daemon) and a node, host B runs another node of the same
// cluster. avahi-browse lists both nodes with their TXT records; services published with avahi-publish reach
// the nodes' browsers (only those of their cluster); the nodes still find each other with avahi-daemon bound
// to UDP 5353 beside node A; goodbyes are understood both ways.
//
// Avahi runs only inside the test: its own dbus-daemon (a config file here, listening on a socket in a
// temporary directory; avahi-daemon and the avahi-* tools find it through DBUS_SYSTEM_BUS_ADDRESS), and
// avahi-daemon in its own mount namespace with that temporary directory bind-mounted over /run, so its pid
// file and socket (/run/avahi-daemon/*) are not the host's. Needs root (CI runs as root) and the packages
// avahi-daemon, avahi-utils and dbus (scripts/install-deps.sh --test); skipped otherwise.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { quorumBin, waitFor } from "./harness.mjs";
import { createLan, curlIn } from "./netns.mjs";

const tag = `${process.pid % 100000}`;
let lan;
const hosts = {};
const daemons = []; // dbus-daemon, avahi-daemon, avahi-publish: stopped in after()
let work; // temporary directory: bus and avahi configuration, bus socket, avahi's /run
let fingerprint;
let version;
let avahi;

const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
const skip = process.getuid?.() !== 0
  ? "needs root (network namespaces)"
  : ["avahi-daemon", "avahi-browse", "avahi-publish", "dbus-daemon", "unshare"].every(has)
    ? false
    : "avahi-daemon, avahi-utils or dbus not installed (scripts/install-deps.sh --test installs them)";

// The environment of everything that talks to the test's own system bus.
const busEnv = () => ({ ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${path.join(work, "bus")}` });

// Starts `args` inside namespace `ns`, keeping its output for failure messages.
function startIn(ns, args, { name, env = process.env } = {}) {
  const proc = spawn("ip", ["netns", "exec", ns, ...args], { stdio: ["ignore", "pipe", "pipe"], env });
  const handle = { name, proc, output: "" };
  proc.stdout.on("data", (d) => (handle.output += d));
  proc.stderr.on("data", (d) => (handle.output += d));
  handle.exited = new Promise((r) => proc.on("exit", (code, signal) => r({ code, signal })));
  return handle;
}

const running = (h) => h?.proc && h.proc.exitCode === null && h.proc.signalCode === null;

// Interrupted runs (harness.mjs exits on SIGINT/SIGTERM) skip after(): leave nothing running in the namespaces.
process.on("exit", () => {
  for (const h of [...Object.values(hosts).map((x) => x.node), ...daemons]) if (running(h)) h.proc.kill("SIGKILL");
});

// SIGTERM, then SIGKILL if it is still there after 5 s; resolves with how it ended.
async function stop(h) {
  if (!running(h)) return h?.exited;
  h.proc.kill("SIGTERM");
  const timer = setTimeout(() => h.proc.kill("SIGKILL"), 5000);
  const r = await h.exited;
  clearTimeout(timer);
  return r;
}

function startDaemon(ns, args, name) {
  const h = startIn(ns, args, { name, env: busEnv() });
  daemons.push(h);
  return h;
}

// Awaits `promise`; when it fails, adds the latest output of the processes `handles` to the error.
async function explain(promise, ...handles) {
  try {
    return await promise;
  } catch (e) {
    e.message += handles.map((h) => `\n--- ${h.name} ---\n${h.output.slice(-4000)}`).join("");
    throw e;
  }
}

async function waitOutput(h, text, what) {
  await explain(waitFor(() => {
    if (!running(h)) throw new Error(`${h.name} exited`);
    return h.output.includes(text);
  }, { timeoutMs: 20000, what }), h);
}

function startBus(ns) {
  fs.writeFileSync(path.join(work, "bus.conf"), `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${path.join(work, "bus")}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`);
  // It warns that it cannot raise its fd limit to 65536 without CAP_SYS_RESOURCE: harmless.
  return startDaemon(ns, ["dbus-daemon", "--config-file", path.join(work, "bus.conf"), "--nofork", "--print-address"],
    "dbus-daemon");
}

function startAvahi(host) {
  fs.writeFileSync(path.join(work, "avahi-daemon.conf"), `[server]
host-name=quorum-avahi-${tag}
use-ipv4=yes
use-ipv6=no
allow-interfaces=${host.iface}
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
publish-aaaa-on-ipv4=no
`);
  const run = path.join(work, "run");
  fs.mkdirSync(run);
  // exec all the way down, so the process we hold is avahi-daemon itself.
  return startDaemon(host.ns, ["unshare", "--mount", "--propagation", "private", "sh", "-c",
    'mount --bind "$0" /run && mkdir -p /run/avahi-daemon && exec avahi-daemon -f "$1" --no-drop-root --no-chroot --no-rlimits --no-proc-title',
    run, path.join(work, "avahi-daemon.conf")], "avahi-daemon");
}

function startNode(host) {
  host.node = startIn(host.ns, [quorumBin(), "node", "--listen", "127.0.0.1:32768", "--state-dir", host.stateDir,
    "--no-autodetect", "--no-embedded"], { name: `node ${host.name}` });
}

// GET /v1/cluster/nodes on the node of `host`, from inside its namespace (loopback: trusted).
function peersOf(host) {
  const r = curlIn(host.ns, "GET", "http://127.0.0.1:32768/v1/cluster/nodes");
  if (r.status !== 200) throw new Error(`GET /v1/cluster/nodes in ${host.ns}: ${r.status} ${r.body}`);
  return JSON.parse(r.body).data;
}

const identity = (host) => JSON.parse(fs.readFileSync(path.join(host.stateDir, "node.json"), "utf8"));
const idOf = (host) => identity(host).id;

// avahi-browse's parsable output names with \DDD escapes (decimal byte values).
const unescape = (s) => s.replace(/\\(\d{3})/g, (_, d) => String.fromCharCode(Number(d)));

// `avahi-browse -rtp _quorum._tcp` in namespace `ns`: the resolved services ("=" lines, less those removed
// again: "-" lines), each with its TXT as an object. -t ends it at avahi-daemon's "all for now" (which takes
// from a few ms to about 1 s).
function avahiBrowse(ns) {
  const r = spawnSync("ip", ["netns", "exec", ns, "avahi-browse", "-rtp", "_quorum._tcp"],
    { encoding: "utf8", timeout: 15000, env: busEnv() });
  if (r.status !== 0) throw new Error(`avahi-browse exited with ${r.status ?? r.signal}: ${r.stderr}`);
  const services = new Map();
  for (const line of r.stdout.split("\n")) {
    const [event, iface, protocol, name, type, domain, host, address, port, ...rest] = line.split(";");
    const key = [iface, protocol, name, type, domain].join(";");
    if (event === "-") services.delete(key);
    if (event !== "=") continue;
    const txt = {};
    for (const [, item] of rest.join(";").matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
      const cut = item.indexOf("=");
      if (cut > 0) txt[item.slice(0, cut)] = item.slice(cut + 1);
    }
    services.set(key, { iface, protocol, name: unescape(name), type, domain, host: unescape(host), address,
      port: Number(port), txt });
  }
  return [...services.values()];
}

// `avahi-publish -s NAME _quorum._tcp PORT k=v...` on host A; it runs until stopped.
function avahiPublish(name, port, txt) {
  return startDaemon(hosts.a.ns, ["avahi-publish", "-s", name, "_quorum._tcp", String(port),
    ...Object.entries(txt).map(([k, v]) => `${k}=${v}`)], `avahi-publish ${name}`);
}

describe("mDNS interoperability with avahi-daemon", { skip }, () => {
  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-avahi-"));
    lan = createLan("qav", "10.213.93");
    hosts.a = lan.addHost("a", 1);
    hosts.b = lan.addHost("b", 2);
    const bus = startBus(hosts.a.ns);
    await waitOutput(bus, "unix:path=", "dbus-daemon listening");
    // avahi-daemon first, as on a host where it starts at boot; the node binds 5353 beside it.
    avahi = startAvahi(hosts.a);
    await waitOutput(avahi, "Server startup complete", "avahi-daemon started");
    const init = execFileSync(quorumBin(), ["cluster", "init", "--state-dir", hosts.a.stateDir], { encoding: "utf8" });
    execFileSync(quorumBin(), ["cluster", "join", init.trim().split("\n").at(-1), "--state-dir", hosts.b.stateDir]);
    fingerprint = JSON.parse(execFileSync(quorumBin(), ["cluster", "show", "--json", "--state-dir", hosts.a.stateDir],
      { encoding: "utf8" })).fingerprint;
    assert.match(fingerprint, /^[0-9a-f]+$/, "cluster fingerprint");
    version = execFileSync(quorumBin(), ["--version"], { encoding: "utf8" }).trim().split(/\s+/).at(-1);
    for (const h of Object.values(hosts)) startNode(h);
    for (const h of Object.values(hosts)) await waitOutput(h.node, "listening on", `node ${h.name} listening`);
  });

  after(async () => {
    const problems = [];
    for (const h of Object.values(hosts)) {
      const wasRunning = running(h.node);
      const r = await stop(h.node);
      if (wasRunning && r.code !== 0) problems.push(`node ${h.name} exited with ${r.code ?? r.signal}:\n${h.node.output}`);
    }
    for (const d of daemons.reverse()) await stop(d);
    lan?.destroy();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    assert.deepEqual(problems, [], "nodes stop cleanly");
  });

  test("avahi-browse lists both nodes with their TXT records, address and port", async () => {
    const want = Object.values(hosts).map((h) => ({ host: h, id: idOf(h) }));
    const found = await explain(waitFor(() => {
      const services = avahiBrowse(hosts.a.ns);
      const all = want.map(({ id }) => services.find((s) => s.txt.id === id));
      return all.every(Boolean) && all;
    }, { timeoutMs: 10000, intervalMs: 200, what: "avahi-browse listing nodes A and B" }), avahi, hosts.a.node, hosts.b.node);
    want.forEach(({ host, id }, i) => {
      const s = found[i];
      assert.equal(s.type, "_quorum._tcp", `${host.name}: service type`);
      assert.equal(s.domain, "local", `${host.name}: domain`);
      assert.equal(s.protocol, "IPv4", `${host.name}: protocol`);
      assert.equal(s.address, host.address, `${host.name}: address resolved by avahi`);
      assert.equal(s.port, 32768, `${host.name}: port`);
      const { c, v, n } = s.txt;
      assert.deepEqual({ c, v, n }, { c: fingerprint, v: version, n: identity(host).name }, `${host.name}: TXT records`);
    });
    assert.doesNotMatch(avahi.output, /conflict/i, "avahi-daemon saw no name conflicts");
  });

  test("with avahi-daemon bound to UDP 5353 beside node A, the two nodes still find each other", async () => {
    const sockets = execFileSync("ip", ["netns", "exec", hosts.a.ns, "ss", "-Huanp", "sport = :5353"], { encoding: "utf8" });
    // `ip netns exec`, unshare and sh exec, so the pids we hold are those of avahi-daemon and the node.
    assert.ok(sockets.includes(`pid=${avahi.proc.pid},`), `avahi-daemon on 5353 in A:\n${sockets}`);
    assert.ok(sockets.includes(`pid=${hosts.a.node.proc.pid},`), `node A on 5353 in A:\n${sockets}`);
    for (const [self, other] of [[hosts.a, hosts.b], [hosts.b, hosts.a]]) {
      const peer = await explain(waitFor(() => peersOf(self).find((p) => p.id === idOf(other)),
        { timeoutMs: 10000, what: `node ${self.name} seeing node ${other.name}` }), self.node, other.node);
      assert.equal(peer.address, other.address, `${self.name} sees ${other.name} at its address`);
      assert.equal(peer.port, 32768, `${self.name} sees ${other.name}'s port`);
    }
  });

  test("a service published with avahi-publish is seen by both nodes; one of another cluster is not", async () => {
    const right = { name: `avahi-peer-${tag}`, id: `avahi-right-${tag}`, port: 40001 };
    const wrong = { name: `avahi-other-${tag}`, id: `avahi-wrong-${tag}`, port: 40002 };
    const publishers = [
      avahiPublish(wrong.name, wrong.port, { id: wrong.id, c: "0000000000000000", v: version, n: wrong.name }),
      avahiPublish(right.name, right.port, { id: right.id, c: fingerprint, v: version, n: right.name }),
    ];
    for (const p of publishers) await waitOutput(p, "Established under name", `${p.name} established`);
    for (const host of [hosts.b, hosts.a]) {
      const seen = await explain(waitFor(() => peersOf(host).find((p) => p.id === right.id),
        { timeoutMs: 10000, what: `node ${host.name} seeing the avahi-published service` }), host.node, avahi);
      assert.equal(seen.name, right.name, `${host.name}: name from TXT n`);
      assert.equal(seen.address, hosts.a.address, `${host.name}: address of the host that runs avahi`);
      assert.equal(seen.port, right.port, `${host.name}: port from the SRV record`);
      // Heard and rejected (avahi may announce it in another packet than the right one: wait for the proof).
      await explain(waitFor(() => host.node.output.includes(`(${wrong.id}): another cluster`),
        { what: `node ${host.name} ignoring the service of another cluster` }), host.node);
      assert.ok(!peersOf(host).some((p) => p.id === wrong.id), `${host.name} does not list the other cluster's service`);
    }
    // Behind the published service, an impostor that knows the fingerprint (it is public) but not the secret:
    // it answers heartbeats with a made-up status. It gets no TLS session with the cluster's key, so the
    // nodes never read its answer, and never route to it.
    const impostorStatus = JSON.stringify({ id: right.id, name: right.name, port: right.port, in_flight: 0,
      capacity: 1000, models: [{ id: "stolen-prompts", loaded: true }], engines: ["fake"] });
    const impostor = startDaemon(hosts.a.ns, [process.execPath, "-e",
      `require("http").createServer((q, r) => { q.resume(); r.setHeader("Content-Type", "application/json");
        r.setHeader("X-Quorum-Node", ${JSON.stringify(right.id)}); r.setHeader("X-Quorum-Proof", "0".repeat(64));
        r.end(${JSON.stringify(impostorStatus)}); }).listen(${right.port}, () => console.log("impostor up"));`], "impostor");
    await waitOutput(impostor, "impostor up", "impostor listening");
    for (const host of [hosts.a, hosts.b]) {
      await explain(waitFor(() => host.node.output.includes(`No TLS session with http://${hosts.a.address}:${right.port}/`),
        { what: `node ${host.name} refusing the impostor's heartbeat answer` }), host.node);
      assert.notEqual(peersOf(host).find((p) => p.id === right.id)?.state, "reachable");
      const models = JSON.parse(curlIn(host.ns, "GET", "http://127.0.0.1:32768/v1/models").body).data;
      assert.ok(!models.some((m) => m.id === "stolen-prompts"), `${host.name} does not list the impostor's model`);
    }
    await stop(impostor);
    // avahi-publish withdraws the service when it ends: avahi-daemon says goodbye, the nodes drop it at once.
    await stop(publishers[1]);
    for (const host of [hosts.a, hosts.b]) {
      await explain(waitFor(() => !peersOf(host).some((p) => p.id === right.id),
        { timeoutMs: 3000, what: `the withdrawn service gone from node ${host.name}'s list` }), host.node, avahi);
    }
  });

  test("a node that stops says goodbye and avahi drops it", async () => {
    const id = idOf(hosts.b);
    await waitFor(() => avahiBrowse(hosts.a.ns).some((s) => s.txt.id === id), { what: "avahi-browse listing node B" });
    const r = await stop(hosts.b.node);
    assert.equal(r.code, 0, `node B exited with ${r.code ?? r.signal}:\n${hosts.b.node.output}`);
    // Avahi keeps a record for 1 s after its goodbye (RFC 6762 section 10.1); gone within about 3 s here.
    await explain(waitFor(() => !avahiBrowse(hosts.a.ns).some((s) => s.txt.id === id),
      { timeoutMs: 10000, intervalMs: 200, what: "node B gone from avahi-browse" }), avahi, hosts.b.node);
    assert.ok(running(avahi), `avahi-daemon still running:\n${avahi.output}`);
  });
});
