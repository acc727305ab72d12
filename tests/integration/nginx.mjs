// nginx (Debian's nginx-light) for the tests: one master and one worker on a free loopback port, with the
// `http { … }` content the test gives, everything (pid, logs, temporary files) in a temporary directory
// removed at stop. Not daemonised, stopped by its PID.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort, waitFor } from "./harness.mjs";

export const nginxBin = () => process.env.QUORUM_NGINX || "/usr/sbin/nginx";

// httpConfig(port): the text inside `http { }` (upstreams, servers), given the port nginx must listen on.
export async function startNginx(httpConfig) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-nginx-"));
  fs.mkdirSync(path.join(dir, "tmp"));
  const conf = `${process.getuid?.() === 0 ? "user root;" : ""}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 4096; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
${httpConfig(port)}
}
`;
  fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
  const proc = spawn(nginxBin(), ["-p", dir, "-e", path.join(dir, "error.log"), "-c", path.join(dir, "nginx.conf"), "-g", "daemon off;"],
    { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  proc.stdout.on("data", (d) => (output += d));
  proc.stderr.on("data", (d) => (output += d));
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  const log = () => `${output}${fs.existsSync(path.join(dir, "error.log")) ? fs.readFileSync(path.join(dir, "error.log"), "utf8").slice(-4000) : ""}`;
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => {
      if (proc.exitCode !== null) throw new Error(`nginx exited with ${proc.exitCode}`);
      return new Promise((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => { s.destroy(); resolve(true); });
        s.on("error", () => resolve(false));
      });
    }, { timeoutMs: 10000, intervalMs: 50, what: "nginx to listen" });
  } catch (e) {
    const text = log();
    await stop();
    throw new Error(`${e.message}\n--- nginx ---\n${text}`);
  }
  return { url: `http://127.0.0.1:${port}`, port, dir, log, stop };
}
