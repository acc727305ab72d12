// A relay and one cluster of nodes linked to it, each node with its own scripted engine (scripted_engine.mjs),
// for the tests of the relay's faults: the setup of relay.test.mjs (an operator's enrolment token, `quorum
// cluster init` / `join`, `quorum relay join`, `quorum keys create`) for any number of nodes, with the means
// to kill a node, restart it on its state, and read what the relay knows of the cluster.
//
// Nodes run with --no-mdns (on one machine they would otherwise find each other and forward between
// themselves), --no-embedded and a 1 s engine probe; node i is named "node-i". Everything is cleaned up by
// stop(), which the test registers with t.after().
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { quorumBin, relayBin, startNode, startRelay, waitFor } from "./harness.mjs";
import { startScriptedEngine } from "./scripted_engine.mjs";

export function quorum(...args) {
  return execFileSync(quorumBin(), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
export function relayCli(...args) {
  return execFileSync(relayBin(), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
export const lastLine = (text) => text.trim().split("\n").at(-1);

// A control request to the relay (GET `target`) signed with the key of the node whose state is in `stateDir`
// (its relay.json), as `quorum keys`/`quorum usage` sign theirs: the relay's view of the cluster, for tests.
export async function signedGet(stateDir, target) {
  const relay = JSON.parse(fs.readFileSync(path.join(stateDir, "relay.json"), "utf8"));
  const nodeId = JSON.parse(quorum("cluster", "show", "--json", "--state-dir", stateDir)).node_id;
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(relay.node_key, "base64url")]);
  const key = crypto.createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  const time = Math.floor(Date.now() / 1000);
  const nonce = crypto.randomBytes(12).toString("hex");
  const message = ["quorum-relay-control-v1", "GET", target, String(time), nonce].join("\n") + "\n";
  const signature = crypto.sign(null, Buffer.from(message), key).toString("base64url");
  const r = await fetch(relay.url + target, { headers: { Authorization: `Quorum-Node ${nodeId}.${time}.${nonce}.${signature}` } });
  if (r.status !== 200) throw new Error(`${target}: ${r.status} ${await r.text()}`);
  return r.json();
}

// The relay's gauge `name` from its /metrics, as a number.
export async function relayMetric(relay, name) {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (!m) throw new Error(`no ${name} in the relay's metrics`);
  return Number(m[1]);
}

// nodes: how many; engineOptions(i): startScriptedEngine's options for node i; nodeArgs: more `quorum node`
// flags; relayUrl(relay): the URL nodes join (default the relay's own; a proxy in front of it otherwise).
export async function startRelayCluster({ nodes = 2, engineOptions = () => ({}), nodeArgs = [], relayArgs = [], relayUrl } = {}) {
  const relay = await startRelay({ args: relayArgs });
  const joinUrl = relayUrl ? await relayUrl(relay) : relay.url;
  const token = lastLine(relayCli("token", "create", "--data", relay.dataDir, "--note", "faults"));
  const members = [];
  const cluster = {
    relay,
    members,
    key: undefined,
    // The SDK pointed at the relay (or `baseURL`), without its own retries.
    client(apiKey = cluster.key, baseURL = `${joinUrl}/v1`) {
      return new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120000 });
    },
    // Starts (or restarts, on its state) member `m`'s node and waits for its health.
    async startMember(m) {
      m.node = await startNode({
        stateDir: m.stateDir,
        args: ["--name", m.name, "--no-mdns", "--no-embedded", "--probe-interval", "1",
          "--engine", `script=${m.engine.url}`, ...nodeArgs],
      });
      m.alive = true;
    },
    // SIGKILL: the node vanishes as a crash would leave it (its state stays, for a restart).
    async kill(m) {
      m.alive = false;
      m.node.proc.kill("SIGKILL");
      await m.node.exited;
    },
    // What the relay knows of the cluster's nodes: [{id, name, online, revoked, models}].
    async relayNodes(from = members[0]) {
      return (await signedGet(from.stateDir, "/v1/relay/nodes")).data;
    },
    // Waits until the relay has the members that are alive online, each with its engine's models, and the
    // others offline.
    async waitOnline({ timeoutMs = 30000 } = {}) {
      const ids = members.filter((m) => m.alive).map((m) => m.id);
      await waitFor(async () => {
        const listed = await cluster.relayNodes(members.find((m) => m.alive) ?? members[0]);
        return listed.length === members.length && listed.every((n) => ids.includes(n.id) === (n.online && n.models.length > 0));
      }, { timeoutMs, intervalMs: 100, what: `the relay to see ${ids.length} node(s) online with their models` });
    },
    async stop() {
      const errors = [];
      for (const m of members) {
        try {
          if (m.alive) await m.node.stop();
        } catch (e) {
          errors.push(e);
        }
        fs.rmSync(m.stateDir, { recursive: true, force: true });
        await m.engine.stop();
      }
      try {
        // (A sanitizer's report at exit is an exit status the harness does not check for the relay.)
        const r = await cluster.relay.stop();
        if (r.code) throw new Error(`quorum-relay exited with ${r.code}:\n${cluster.relay.output().slice(-4000)}`);
      } catch (e) {
        errors.push(e);
      }
      cluster.relay.remove();
      if (errors.length) throw errors[0];
    },
  };
  try {
    let joinToken;
    for (let i = 0; i < nodes; i++) {
      const m = { name: `node-${i}`, stateDir: fs.mkdtempSync(path.join(os.tmpdir(), "quorum-relay-faults-")), alive: false };
      members.push(m);
      if (i === 0) {
        quorum("cluster", "init", "--state-dir", m.stateDir);
        joinToken = JSON.parse(quorum("cluster", "show", "--show-secret", "--json", "--state-dir", m.stateDir)).join_token;
        quorum("relay", "join", joinUrl, token, "--state-dir", m.stateDir);
      } else {
        quorum("cluster", "join", joinToken, "--state-dir", m.stateDir);
        quorum("relay", "join", joinUrl, "--state-dir", m.stateDir);
      }
      m.id = JSON.parse(quorum("cluster", "show", "--json", "--state-dir", m.stateDir)).node_id;
      m.engine = await startScriptedEngine(engineOptions(i));
      await cluster.startMember(m);
    }
    cluster.key = lastLine(quorum("keys", "create", "everything", "--state-dir", members[0].stateDir));
    await cluster.waitOnline();
  } catch (e) {
    await cluster.stop().catch(() => {});
    throw e;
  }
  return cluster;
}

// The member whose engine received a request for `model` (polls until one did).
export async function memberServing(cluster, model, { timeoutMs = 15000 } = {}) {
  return waitFor(() => cluster.members.find((m) => m.engine.requests.some((r) => r.body.model === model)),
    { timeoutMs, intervalMs: 20, what: `a request for ${model} at an engine` });
}
