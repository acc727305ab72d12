// Reaching a node from inside a network namespace with the test's own sockets. The test process runs in the
// host's namespace, so it cannot open a TCP connection from a namespaced address itself; a relay started in
// the namespace can. Each route of the relay listens on a Unix socket (a file: reachable from every
// namespace) and, for each connection there, opens one TCP connection from `localAddress` to the target and
// copies bytes both ways, half-closes included. The test sees the node as if it were connected from that
// address. Needs root (ip netns exec).
//
// Run as a program: node ns_relay.mjs ROUTES_JSON, with ROUTES_JSON [{ path, host, port, localAddress }];
// prints "ready" once every route listens.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "./harness.mjs";

const self = fileURLToPath(import.meta.url);

// Starts a relay in namespace `ns` for `routes` ([{ host, port, localAddress }]); resolves to { paths (one
// Unix socket path per route, in order), stop() }.
export async function startRelay(ns, routes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-relay-"));
  const withPaths = routes.map((r, i) => ({ ...r, path: path.join(dir, `${i}.sock`) }));
  const proc = spawn("ip", ["netns", "exec", ns, process.execPath, self, JSON.stringify(withPaths)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  proc.stdout.on("data", (d) => (output += d));
  proc.stderr.on("data", (d) => (output += d));
  const exited = new Promise((r) => proc.on("exit", r));
  await waitFor(() => output.includes("ready") || proc.exitCode !== null, { what: `the relay in ${ns}` });
  if (!output.includes("ready")) throw new Error(`the relay in ${ns} failed: ${output}`);
  return {
    paths: withPaths.map((r) => r.path),
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function relay(routes) {
  let listening = 0;
  for (const route of routes) {
    const server = net.createServer({ allowHalfOpen: true }, (client) => {
      const upstream = net.connect({ host: route.host, port: route.port, localAddress: route.localAddress, allowHalfOpen: true });
      client.pipe(upstream);
      upstream.pipe(client);
      // A reset on either side resets the other; an orderly end is passed on by pipe().
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
      upstream.on("close", () => client.writableEnded || client.destroy());
      client.on("close", () => upstream.destroy());
    });
    server.maxConnections = 100000;
    server.listen(route.path, () => {
      if (++listening === routes.length) console.log("ready");
    });
  }
  process.on("SIGTERM", () => process.exit(0));
}

if (process.argv[1] === self) relay(JSON.parse(process.argv[2]));
