// The relay with its built-in TLS (`quorum-relay serve --tls-cert --tls-key`), end to end on loopback, with a
// throwaway CA and a certificate for 127.0.0.1 made by `openssl`: the node joins https://127.0.0.1:PORT and
// keeps its link over wss, `quorum keys create` and `quorum usage` talk https, and the unmodified openai SDK
// (trusting the CA through NODE_EXTRA_CA_CERTS, in a process of its own) streams through the relay. A client
// that does not trust the CA gets no session and nothing is served in plain text on the port. SIGHUP serves
// a renewed certificate to new connections while the node's link stays up, and a bad pair is refused with
// the old one kept.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { httpsGet, modelsDir, quorumBin, relayBin, startNode, startRelay, waitFor } from "./harness.mjs";
import { RawClient } from "./raw_http.mjs";
import { TestCa } from "./test_ca.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
let ca, served, relay, node, key, stateDir, modelDir, caPem;

function quorum(args, env = {}) {
  return execFileSync(quorumBin(), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
}
const lastLine = (text) => text.trim().split("\n").at(-1);

// One request with the unmodified openai SDK, in a process that trusts the CA (or not: `trust` false).
async function sdk(params, { trust = true } = {}) {
  const env = { ...process.env, OPENAI_API_KEY: key };
  delete env.NODE_EXTRA_CA_CERTS;
  if (trust) env.NODE_EXTRA_CA_CERTS = ca.cert;
  const { stdout } = await promisify(execFile)(process.execPath,
    [path.join(here, "sdk_client.mjs"), `${relay.url}/v1`, JSON.stringify(params)], { env, timeout: 90000 });
  return JSON.parse(lastLine(stdout));
}

const linkConnections = () => node.output().split("relay: connected to").length - 1;
const health = async () => JSON.parse((await httpsGet(`${relay.url}/health`, { ca: caPem })).body);

before(async () => {
  ca = new TestCa();
  caPem = fs.readFileSync(ca.cert);
  served = ca.issue("relay", { serial: "1001" });
  const cache = await modelsDir();
  modelDir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-relay-tls-models-"));
  fs.copyFileSync(path.join(cache, "tiny-a.gguf"), path.join(modelDir, "tiny-a.gguf"));
  relay = await startRelay({ tls: { cert: served.cert, key: served.key, ca: ca.cert } });
  assert.match(relay.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  // The CLI and the node (started below, with this environment) trust the test CA the way a user with a
  // private CA would.
  process.env.QUORUM_RELAY_CA_FILE = ca.cert;
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-relay-tls-node-"));
  quorum(["cluster", "init", "--state-dir", stateDir]);
  const token = lastLine(execFileSync(relayBin(), ["token", "create", "--data", relay.dataDir], { encoding: "utf8" }));
  quorum(["relay", "join", relay.url, token, "--state-dir", stateDir]);
  node = await startNode({ stateDir, args: ["--models-dir", modelDir, "--no-mdns", "--probe-interval", "1"] });
  key = lastLine(quorum(["keys", "create", "everything", "--state-dir", stateDir]));
  assert.match(key, /^qk_/);
  await waitFor(async () => {
    const r = await httpsGet(`${relay.url}/v1/models`, { ca: caPem, headers: { Authorization: `Bearer ${key}` } });
    return r.status === 200 && JSON.parse(r.body).data.some((m) => m.id === "tiny-a");
  }, { timeoutMs: 20000, what: "the node's models at the relay, over its wss link" });
});

after(async () => {
  delete process.env.QUORUM_RELAY_CA_FILE;
  await node?.stop();
  await relay?.stop();
  relay?.remove();
  ca?.remove();
  if (modelDir) fs.rmSync(modelDir, { recursive: true, force: true });
});

test("the node's link runs over wss, keys and usage go over https, and the openai SDK streams through the relay", async () => {
  assert.equal((await health()).nodes, 1, "the node's link is up");
  assert.equal(linkConnections(), 1);
  const r = await sdk({ model: "tiny-a", messages: [{ role: "user", content: "hi" }], stream: true, max_tokens: 12,
    stream_options: { include_usage: true } });
  assert.ok(!r.error, JSON.stringify(r.error));
  assert.ok(r.chunks >= 3, `streamed in pieces (${r.chunks})`);
  assert.ok(r.content.length > 0);
  assert.ok(r.usage?.completion_tokens > 0);
  assert.ok(r.headers["x-quorum-node"], "x-quorum-node names who served");
  const keys = JSON.parse(quorum(["keys", "list", "--json", "--state-dir", stateDir])).data;
  assert.deepEqual(keys.map((k) => k.name), ["everything"]);
  await waitFor(() => JSON.parse(quorum(["usage", "--json", "--state-dir", stateDir])).data.some((row) => row.requests >= 1),
    { timeoutMs: 15000, what: "the request in usage" });
});

test("a client that does not trust the CA gets no TLS session, and nothing is served in plain text on the port", async () => {
  // fetch with the system's store only.
  const refused = await fetch(`${relay.url}/health`).catch((e) => e);
  assert.ok(refused instanceof Error, "fetch without the CA fails");
  assert.match(String(refused.cause?.code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|CERT/);
  // The SDK without the CA.
  const r = await sdk({ model: "tiny-a", messages: [{ role: "user", content: "x" }], max_tokens: 2 }, { trust: false });
  assert.ok(r.error, "the SDK without the CA fails");
  assert.equal(r.error.status, null, "no HTTP status: there was no session to carry one");
  // The CLI without the CA says why.
  const cli = spawnSync(quorumBin(), ["keys", "list", "--state-dir", stateDir],
    { encoding: "utf8", env: { ...process.env, QUORUM_RELAY_CA_FILE: "" } });
  assert.notEqual(cli.status, 0);
  assert.match(cli.stderr, /No TLS session with https:\/\/127\.0\.0\.1:\d+\/v1\/relay\/keys \(certificate verify failed/);
  // Plain HTTP: the connection closes without a byte.
  const raw = await RawClient.connect({ host: "127.0.0.1", port: relay.port });
  await raw.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  await raw.until((c) => c.ended, { what: "the relay to close the plain connection" });
  assert.equal(raw.received.length, 0, `nothing in plain text: ${raw.received.toString("latin1")}`);
  raw.destroy();
  assert.equal((await health()).status, "ok");
});

test("SIGHUP serves a renewed certificate to new connections, the node's link stays up, and a bad pair keeps the old one", async () => {
  const first = await httpsGet(`${relay.url}/health`, { ca: caPem });
  assert.equal(first.certificate.serialNumber, served.serialNumber);
  assert.equal(first.certificate.fingerprint256, served.fingerprint256);
  const connectionsBefore = linkConnections();

  // Renewed: written beside the served files, then renamed over them (as certificate tools do), then SIGHUP.
  const renewed = ca.issue("renewed", { serial: "2002" });
  fs.copyFileSync(renewed.cert, `${served.cert}.tmp`);
  fs.copyFileSync(renewed.key, `${served.key}.tmp`);
  fs.renameSync(`${served.key}.tmp`, served.key);
  fs.renameSync(`${served.cert}.tmp`, served.cert);
  relay.proc.kill("SIGHUP");
  const seen = await waitFor(async () => {
    const r = await httpsGet(`${relay.url}/health`, { ca: caPem });
    return r.certificate.serialNumber === renewed.serialNumber && r.certificate;
  }, { timeoutMs: 10000, what: "the renewed certificate on a new connection" });
  assert.equal(seen.fingerprint256, renewed.fingerprint256);
  assert.match(relay.output(), /TLS certificate reloaded: .*serial 2002/);

  // The node's link (one connection, begun with the first certificate) is the same one and still carries.
  assert.equal(linkConnections(), connectionsBefore, "the node did not have to reconnect");
  assert.equal((await health()).nodes, 1);
  const r = await sdk({ model: "tiny-a", messages: [{ role: "user", content: "hi" }], stream: true, max_tokens: 6 });
  assert.ok(!r.error, JSON.stringify(r.error));
  assert.ok(r.content.length > 0);

  // A key that is not the certificate's: refused, logged, and the renewed pair stays in use.
  const stray = ca.issue("stray", { serial: "3003" });
  fs.copyFileSync(stray.key, served.key);
  relay.proc.kill("SIGHUP");
  await waitFor(() => /kept the TLS certificate in use \(.*serial 2002.*\): the key in .* is not the certificate's/.test(relay.output()),
    { timeoutMs: 10000, what: "the refused reload in the relay's log" });
  const after = await httpsGet(`${relay.url}/health`, { ca: caPem });
  assert.equal(after.status, 200);
  assert.equal(after.certificate.serialNumber, renewed.serialNumber);
  assert.equal(linkConnections(), connectionsBefore);
});

test("a relay given a certificate and key that do not load does not start, and says which file and why", () => {
  const other = ca.issue("other", { serial: "4004" });
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-relay-tls-bad-"));
  try {
    const cases = [
      [["--tls-cert", path.join(ca.dir, "missing.pem"), "--tls-key", other.key], /cannot use the certificate .*missing\.pem/],
      [["--tls-cert", other.cert, "--tls-key", served.key], /the key in .* is not the certificate's in .*other\.pem/],
      [["--tls-cert", other.cert], /--tls-cert requires --tls-key/],
    ];
    for (const [args, why] of cases) {
      const r = spawnSync(relayBin(), ["serve", "--listen", "127.0.0.1:0", "--data", data, ...args], { encoding: "utf8", timeout: 30000 });
      assert.notEqual(r.status, 0, `${args.join(" ")}: exits with an error`);
      assert.match(r.stderr, why);
    }
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
});
