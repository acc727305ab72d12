// A PostgreSQL 15 of the test's own (Debian's programs in /usr/lib/postgresql/15/bin): initdb in a temporary
// directory, postgres listening only on a unix socket there (listen_addresses=''), stopped and removed by
// stop(). As root (CI), initdb and postgres run as the `postgres` system user (setpriv), which PostgreSQL
// needs. Without PostgreSQL installed, startPostgres() throws when CI=true and returns null otherwise (the
// caller skips, saying why).
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { waitFor } from "./harness.mjs";

export const pgBin = "/usr/lib/postgresql/15/bin";

export async function startPostgres() {
  if (!fs.existsSync(path.join(pgBin, "postgres"))) {
    const why = `PostgreSQL 15 is not installed (${pgBin}); scripts/install-deps.sh --test installs postgresql-15`;
    if (process.env.CI === "true") throw new Error(why);
    return null;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-pg-"));
  const asPostgres = process.getuid() === 0;
  if (asPostgres) execFileSync("chown", ["postgres:postgres", dir]);
  const as = (cmd, args) =>
    asPostgres ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", cmd, ...args]] : [cmd, args];
  execFileSync(...as(path.join(pgBin, "initdb"),
    ["-D", path.join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]),
  { stdio: "ignore" });
  const [cmd, args] = as(path.join(pgBin, "postgres"),
    ["-D", path.join(dir, "data"), "-k", dir, "-c", "listen_addresses=", "-c", "fsync=off"]);
  let output = "";
  let proc, exited;
  const ready = () => {
    try {
      execFileSync(path.join(pgBin, "pg_isready"), ["-q", "-h", dir], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  const launch = async () => {
    proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout.on("data", (d) => (output += d));
    proc.stderr.on("data", (d) => (output += d));
    exited = new Promise((resolve) => proc.on("exit", resolve));
    await waitFor(ready, { timeoutMs: 30000, what: `postgres to start:\n${output}` });
  };
  const halt = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGINT");  // fast shutdown
    await exited;
  };
  await launch();
  return {
    dir,
    output: () => output,
    // A new, empty database; its URL (the unix socket; `extra` appended to the query).
    createDatabase(name, extra = "") {
      execFileSync(path.join(pgBin, "createdb"), ["-h", dir, "-U", "postgres", name], { stdio: "ignore" });
      return `postgresql:///${name}?host=${dir}&user=postgres${extra}`;
    },
    // Down (fast shutdown: every connection is ended) until start() brings it back on the same data.
    halt,
    start: launch,
    async stop() {
      await halt();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
