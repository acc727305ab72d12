// Helpers for the tests that run nodes in network namespaces (they need root): HTTP calls made from inside a
// namespace with curl, and cluster peer proofs computed with node:crypto, independently of the node's own
// implementation (the protocol is in docs/api.md, "Requests between nodes").
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { modelsDir, quorumBin, waitFor } from "./harness.mjs";

// curl from inside namespace `ns`; returns { status, body } (status 0 when nothing answered).
export function curlIn(ns, method, url, { headers = {}, body } = {}) {
  const args = ["netns", "exec", ns, "curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, url];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  if (body !== undefined) args.push("-H", "Content-Type: application/json", "--data-binary", body);
  const r = spawnSync("ip", args, { encoding: "utf8", timeout: 20000 });
  const cut = r.stdout.lastIndexOf("\n");
  return { status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut) };
}

// The X-Quorum-* headers proving knowledge of the cluster secret `key` for one request from `node` to the
// node whose id is `to`.
export function peerHeaders(key, method, target, { body = "", node = "test-peer", to = "", time = Date.now() } = {}) {
  const nonce = crypto.randomBytes(16).toString("hex");
  const text = ["quorum-peer-v2", method, target, node, to, String(time), nonce,
    crypto.createHash("sha256").update(body).digest("hex")].join("\n");
  const proof = crypto.createHmac("sha256", key).update(text).digest("hex");
  return { "X-Quorum-Node": node, "X-Quorum-To": to, "X-Quorum-Time": String(time), "X-Quorum-Nonce": nonce,
    "X-Quorum-Proof": proof };
}

// The TLS key of the cluster whose cluster.json is in `stateDir`, derived here with node:crypto, independently
// of the node's own code (src/cluster/peer_tls_key.h): { identity, key }.
export function peerTlsKey(stateDir) {
  const { cluster_id: id, secret } = JSON.parse(fs.readFileSync(path.join(stateDir, "cluster.json"), "utf8"));
  const fingerprint = crypto.createHash("sha256").update(`quorum cluster fingerprint\n${id}:${secret}`).digest("hex");
  return { identity: `quorum-peer-tls-v1:${fingerprint.slice(0, 16)}`,
    key: Buffer.from(crypto.hkdfSync("sha256", secret, "quorum peer tls v1", id, 32)) };
}

// tls.connect options for a session with the key `peerKey` (TLS 1.3, external PSK, no certificate).
export function peerTlsOptions(peerKey) {
  return { minVersion: "TLSv1.3", maxVersion: "TLSv1.3", ciphers: "TLS_AES_128_GCM_SHA256",
    pskCallback: () => ({ psk: peerKey.key, identity: peerKey.identity }), checkServerIdentity: () => undefined };
}

// What curlIn() does, in a TLS session with `peerKey` (peer_call.mjs, run inside namespace `ns`): { status,
// body }, status 0 when no session or no answer (error says why).
export function peerCallIn(ns, peerKey, method, url, { headers = {}, body } = {}) {
  const args = JSON.stringify({ identity: peerKey.identity, key: peerKey.key.toString("hex"), method, url, headers,
    body });
  const r = spawnSync("ip", ["netns", "exec", ns, process.execPath, path.join(import.meta.dirname, "peer_call.mjs"), args],
    { encoding: "utf8", timeout: 20000 });
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { status: 0, body: "", error: `${r.stdout}${r.stderr}` };
  }
}

// A LAN of namespaced hosts: a bridge (multicast snooping off, so mDNS floods) in its own namespace, and one
// namespace per host with a veth into it and the address `${subnet}.${index}/24`. `prefix` keeps the names
// of concurrent suites apart. destroy() removes everything, also after a failure.
export function createLan(prefix, subnet) {
  const tag = `${process.pid % 100000}`;
  const bridgeNs = `${prefix}-sw-${tag}`;
  const hosts = [];
  const ip = (...args) => execFileSync("ip", args, { stdio: "pipe" });
  ip("netns", "add", bridgeNs);
  ip("-n", bridgeNs, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0");
  ip("-n", bridgeNs, "link", "set", "br0", "up");

  const lan = {
    addHost(name, index) {
      const ns = `${prefix}-${name}-${tag}`;
      const inner = `v${name}${tag}`.slice(0, 15);
      const outer = `b${name}${tag}`.slice(0, 15);
      ip("netns", "add", ns);
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", bridgeNs, "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", ns);
      ip("-n", bridgeNs, "link", "set", outer, "master", "br0");
      ip("-n", bridgeNs, "link", "set", outer, "up");
      ip("-n", ns, "addr", "add", `${subnet}.${index}/24`, "dev", inner);
      ip("-n", ns, "link", "set", inner, "up");
      const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `quorum-${prefix}-${name}-`));
      const host = { ns, stateDir, address: `${subnet}.${index}`, name, iface: inner, output: "" };
      hosts.push(host);
      return host;
    },
    start: startNodeIn,
    stop: stopNodeIn,
    kill: killNodeIn,
    destroy() {
      for (const h of hosts) destroyHost(h);
      spawnSync("ip", ["netns", "del", bridgeNs]);
    },
  };
  return lan;
}

// Starts `quorum node` in the namespace of `host` ({ns, stateDir, name}) on 127.0.0.1:32768 (plus its LAN
// address, when in a cluster); resolves once it listens. Its output collects in host.output.
export function startNodeIn(host, args = []) {
  const proc = spawn("ip", ["netns", "exec", host.ns, quorumBin(), "node", "--listen", "127.0.0.1:32768",
    "--state-dir", host.stateDir, "--no-autodetect", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  host.output = "";
  proc.stdout.on("data", (d) => (host.output += d));
  proc.stderr.on("data", (d) => (host.output += d));
  host.proc = proc;
  host.exited = new Promise((r) => proc.on("exit", (code, signal) => r({ code, signal })));
  return waitFor(() => host.output.includes("listening on"), { timeoutMs: 20000, what: `node ${host.name}: ${host.output}` });
}

// SIGTERM, and the node must exit cleanly.
export async function stopNodeIn(host) {
  if (!running(host)) return;
  host.proc.kill("SIGTERM");
  const r = await host.exited;
  assert.equal(r.code, 0, `${host.name} exited with ${r.code ?? r.signal}:\n${host.output}`);
}

export async function killNodeIn(host) {
  if (!running(host)) return;
  host.proc.kill("SIGKILL");
  await host.exited;
}

// Kills the host's node if it still runs, deletes its namespace, state and models folder (giveModels).
export function destroyHost(host) {
  if (running(host)) {
    host.proc.kill("SIGCONT");
    host.proc.kill("SIGKILL");
  }
  spawnSync("ip", ["netns", "del", host.ns]);
  fs.rmSync(host.stateDir, { recursive: true, force: true });
  if (host.models) fs.rmSync(host.models, { recursive: true, force: true });
}

// Gives `host` a models folder (host.models, for --models-dir) holding the generated tiny model under each of
// the file names in `ids` (the model id is the file name): `{ "b-model": "tiny-a" }` serves tiny-a as b-model.
export async function giveModels(host, ids) {
  const cache = await modelsDir();
  host.models = fs.mkdtempSync(path.join(os.tmpdir(), `quorum-${host.name}-models-`));
  for (const [id, model] of Object.entries(ids)) {
    fs.copyFileSync(path.join(cache, `${model}.gguf`), path.join(host.models, `${id}.gguf`));
  }
}

function running(host) {
  return host.proc && host.proc.exitCode === null && host.proc.signalCode === null;
}

// GET /v1/cluster/nodes on the node of `host`, from inside its namespace (loopback: trusted).
export function clusterNodesOf(host) {
  const r = curlIn(host.ns, "GET", "http://127.0.0.1:32768/v1/cluster/nodes");
  if (r.status !== 200) throw new Error(`GET /v1/cluster/nodes in ${host.ns}: ${r.status} ${r.body}`);
  return JSON.parse(r.body);
}

export const nodeIdOf = (host) => JSON.parse(fs.readFileSync(path.join(host.stateDir, "node.json"), "utf8")).id;
export const clusterSecretOf = (host) =>
  JSON.parse(fs.readFileSync(path.join(host.stateDir, "cluster.json"), "utf8")).secret;

// Puts `hosts` in one new cluster (created on the first).
export function formCluster(...hosts) {
  const init = execFileSync(quorumBin(), ["cluster", "init", "--state-dir", hosts[0].stateDir], { encoding: "utf8" });
  const token = init.trim().split("\n").at(-1);
  for (const h of hosts.slice(1)) execFileSync(quorumBin(), ["cluster", "join", token, "--state-dir", h.stateDir]);
}
