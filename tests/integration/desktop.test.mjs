// `quorum app` and `quorum ui` as a user runs them. The window tests run the real GTK/WebKitGTK window under
// Xvfb (xvfb, libwebkit2gtk-4.1-0, xdotool and x11-apps from scripts/install-deps.sh --test) and are skipped
// when one is missing, and under the sanitizers (WebKit's own leaks are not ours). The fallback tests
// run everywhere: without a display the UI goes to the browser, here a fake `xdg-open` first in PATH that
// records the URL it was given.
//
// QUORUM_WRITE_SCREENSHOTS=1 also writes the window's screenshot to docs/screenshots/desktop-window.png (it
// always goes to the test's temporary folder).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startNode, quorumBin, freePort, waitFor } from "./harness.mjs";
import { closeWindow } from "./x11_close.mjs";
import { decodeXwd, encodePng, colourCount } from "./xwd_png.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-desktop-test-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const has = (program) => {
  try {
    execFileSync("sh", ["-c", `command -v ${program}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
const hasWebKit = () => {
  try {
    return execFileSync("ldconfig", ["-p"], { encoding: "utf8" }).includes("libwebkit2gtk-4.1.so.0");
  } catch {
    return false;
  }
};
const windowSkip =
  process.env.QUORUM_SANITIZED === "1"
    ? "the sanitizers would report the dlopen'd GTK's own leaks"
    : !has("Xvfb") || !has("xdotool") || !has("xwd")
      ? "Xvfb, xdotool or xwd missing (scripts/install-deps.sh --test installs them)"
      : !hasWebKit()
        ? "libwebkit2gtk-4.1-0 missing (scripts/install-deps.sh --test installs it)"
        : false;

// A folder with an `xdg-open` that records each URL it is given, one a line, in `opened`.
function fakeXdgOpen() {
  const dir = fs.mkdtempSync(path.join(tmp, "bin-"));
  const log = path.join(dir, "opened");
  fs.writeFileSync(path.join(dir, "xdg-open"), `#!/bin/sh\necho "$1" >> '${log}'\n`, { mode: 0o755 });
  return { dir, opened: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : []) };
}

// The environment of a user's shell with `bin` first in PATH and the display as given (unset: none).
function userEnv(bin, display) {
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  if (display) env.DISPLAY = display;
  return env;
}

// Starts `quorum ARGS` and keeps its output; `exited` resolves to { code, signal }.
function launchQuorum(args, env) {
  const proc = spawn(quorumBin(), args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (d) => (stdout += d));
  proc.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  return {
    proc,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    async end(timeoutMs = 20000) {
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      const r = await exited;
      clearTimeout(timer);
      return { ...r, stdout, stderr };
    },
  };
}

const runQuorum = (args, env) => launchQuorum(args, env).end();

async function healthy(port) {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`)).status === 200;
  } catch {
    return false;
  }
}

test("quorum links neither GTK nor WebKitGTK, so it starts on a headless server", () => {
  const libs = execFileSync("ldd", [quorumBin()], { encoding: "utf8" });
  assert.doesNotMatch(libs, /gtk|webkit|glib|gobject/i);
});

describe("without a window: the browser", () => {
  let node;
  before(async () => {
    node = await startNode({ args: ["--no-mdns"] });
  });
  after(async () => {
    await node?.stop();
  });

  test("quorum ui hands the node's URL to the default browser", async () => {
    const xdg = fakeXdgOpen();
    const r = await runQuorum(["ui", "--port", String(node.port)], userEnv(xdg.dir));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(xdg.opened(), [`${node.url}/`]);
  });

  test("quorum ui prints the URL when there is no xdg-open", async () => {
    const empty = fs.mkdtempSync(path.join(tmp, "empty-"));
    const env = userEnv(empty);
    env.PATH = empty; // nothing else: no xdg-open anywhere
    const r = await runQuorum(["ui", "--port", String(node.port)], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Open ${node.url}/ in a browser`));
  });

  test("quorum ui with no node says how to start one and opens nothing", async () => {
    const xdg = fakeXdgOpen();
    const r = await runQuorum(["ui", "--port", String(await freePort())], userEnv(xdg.dir));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no node answers on http:\/\/127\.0\.0\.1:\d+\/ .*quorum app/);
    assert.deepEqual(xdg.opened(), []);
  });

  test("quorum app with no display starts a node beside it, opens the browser, stops the node on Ctrl-C", async () => {
    const xdg = fakeXdgOpen();
    const port = await freePort();
    const stateDir = path.join(tmp, "app-state");
    const args = ["app", "--port", String(port), "--no-autodetect", "--no-mdns", "--state-dir", stateDir, "--name", "desk"];
    const app = launchQuorum(args, userEnv(xdg.dir));
    try {
      await waitFor(() => xdg.opened().length > 0, { timeoutMs: 30000, what: "xdg-open called" });
      assert.deepEqual(xdg.opened(), [`http://127.0.0.1:${port}/`]);
      assert.match(app.stderr(), /no display \(DISPLAY and WAYLAND_DISPLAY are unset\); opening the browser instead/);
      assert.ok(await healthy(port), "the node started beside answers");
      // The node options went through: it uses the state folder and the name given to `quorum app`.
      assert.ok(fs.existsSync(stateDir), "the node's state folder was made");
      const nodes = await (await fetch(`http://127.0.0.1:${port}/v1/cluster/nodes`)).text();
      assert.match(nodes, /"desk"/);
      app.proc.kill("SIGINT");
      const r = await app.end();
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await healthy(port), false, "the node it started is stopped");
    } finally {
      app.proc.kill("SIGKILL");
    }
  });

  test("quorum app says why and exits non-zero when the node it starts exits", async () => {
    const xdg = fakeXdgOpen();
    const port = await freePort();
    const r = await runQuorum(["app", "--port", String(port), "--log-level", "loud"], userEnv(xdg.dir));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /the node exited with code \d+ before it answered on http:\/\/127\.0\.0\.1:\d+\//);
    assert.deepEqual(xdg.opened(), []);
  });

  test("quorum app refuses --listen for its node: the port is --port", async () => {
    const r = await runQuorum(["app", "--listen", "127.0.0.1:1"], userEnv(fakeXdgOpen().dir));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--port, not --listen/);
  });

  // GTK is loaded but gets no display (none listens on :N): clean under the sanitizers too.
  const gtkSkip = hasWebKit() ? false : "libwebkit2gtk-4.1-0 missing (scripts/install-deps.sh --test installs it)";
  test("quorum app opens the browser when GTK cannot open the display", { skip: gtkSkip }, async () => {
    let n = 900;
    while (fs.existsSync(`/tmp/.X11-unix/X${n}`) || fs.existsSync(`/tmp/.X${n}-lock`)) n++;
    const xdg = fakeXdgOpen();
    const r = await runQuorum(["app", "--port", String(node.port)], userEnv(xdg.dir, `:${n}`));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`no window: GTK cannot open the display :${n}; opening the browser instead`));
    assert.deepEqual(xdg.opened(), [`${node.url}/`]);
  });
});

// Xvfb on a display it picks (-displayfd: it writes the number once it accepts clients).
async function startXvfb() {
  const proc = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x900x24", "-nolisten", "tcp"], {
    stdio: ["ignore", "ignore", "pipe", "pipe"],
  });
  let err = "";
  proc.stderr.on("data", (d) => (err += d));
  const number = await new Promise((resolve, reject) => {
    let out = "";
    proc.stdio[3].on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(out.trim());
    });
    proc.on("exit", (code) => reject(new Error(`Xvfb exited with ${code}: ${err}`)));
  });
  return {
    display: `:${number}`,
    async stop() {
      if (proc.exitCode !== null) return;
      const gone = new Promise((r) => proc.on("exit", r));
      proc.kill("SIGTERM");
      await gone;
    },
  };
}

const x = (display, ...args) => execFileSync(args[0], args.slice(1), { env: { ...process.env, DISPLAY: display }, encoding: "utf8" });

// The visible top-level windows whose title starts with "Quorum" (case matters: GTK's hidden leader window is
// named "quorum"), as { id, title }.
function quorumWindows(display) {
  let ids = [];
  try {
    ids = x(display, "xdotool", "search", "--onlyvisible", "--name", "Quorum").split("\n").filter(Boolean);
  } catch {
    return []; // xdotool exits 1 when nothing matches
  }
  return ids
    .map((id) => ({ id: Number(id), title: x(display, "xdotool", "getwindowname", id).trim() }))
    .filter((w) => w.title.startsWith("Quorum"));
}

function geometry(display, id) {
  const out = x(display, "xdotool", "getwindowgeometry", "--shell", String(id));
  const v = Object.fromEntries(out.trim().split("\n").map((l) => l.split("=")));
  return { x: Number(v.X), y: Number(v.Y), width: Number(v.WIDTH), height: Number(v.HEIGHT) };
}

function screenshot(display) {
  const dump = execFileSync("xwd", ["-root", "-silent"], { env: { ...process.env, DISPLAY: display }, maxBuffer: 64 << 20 });
  return decodeXwd(dump);
}

describe("the window", { skip: windowSkip }, () => {
  let xvfb;
  before(async () => {
    xvfb = await startXvfb();
  });
  after(async () => {
    await xvfb?.stop();
  });

  test("quorum app starts a node beside a window titled Quorum, and stops it when the window closes", async () => {
    const xdg = fakeXdgOpen();
    const port = await freePort();
    const stateDir = path.join(tmp, "window-state");
    const args = ["app", "--port", String(port), "--no-autodetect", "--no-mdns", "--state-dir", stateDir];
    const app = launchQuorum(args, userEnv(xdg.dir, xvfb.display));
    try {
      const [win] = await waitFor(() => quorumWindows(xvfb.display).length === 1 && quorumWindows(xvfb.display), {
        timeoutMs: 30000,
        what: () => `the window on ${xvfb.display}\n${app.stderr()}`,
      });
      assert.match(win.title, /^Quorum/);
      assert.ok(await healthy(port), "the node started beside answers");
      assert.match(app.stderr(), /started a node on/);

      // The page has the node's state: the title shows it (docs/ui-api.md), and the window follows.
      await waitFor(() => quorumWindows(xvfb.display).some((w) => w.title === "Quorum \u2014 1 node online"), {
        timeoutMs: 30000,
        what: "the node count in the title",
      });

      // Once the page is drawn the window is more than one colour (a blank window is one).
      const rect = geometry(xvfb.display, win.id);
      // The title changes with the render that draws the state; the shot is taken once two in a row agree.
      let previous = null;
      const shot = await waitFor(
        () => {
          const img = screenshot(xvfb.display);
          const settled = previous && Buffer.compare(previous.rgb, img.rgb) === 0;
          previous = img;
          return settled && colourCount(img, rect) > 8 && img;
        },
        { timeoutMs: 30000, intervalMs: 300, what: "the page drawn in the window" },
      );
      const png = encodePng(shot);
      fs.writeFileSync(path.join(tmp, "desktop-window.png"), png);
      if (process.env.QUORUM_WRITE_SCREENSHOTS === "1") {
        fs.mkdirSync(path.join(repo, "docs/screenshots"), { recursive: true });
        fs.writeFileSync(path.join(repo, "docs/screenshots/desktop-window.png"), png);
      }

      await closeWindow(xvfb.display, win.id);
      const r = await app.end();
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await healthy(port), false, "the node it started is stopped");
      assert.deepEqual(xdg.opened(), [], "no browser when there is a window");
    } finally {
      app.proc.kill("SIGKILL");
    }
  });

  test("the window's title follows the page's title; quorum app uses a node that already answers", async () => {
    // A stand-in node: /health, and a page that changes its title once it has data, as the UI does.
    const server = http.createServer((req, res) => {
      if (req.url === "/health") return res.end('{"status":"ok"}');
      if (req.url === "/online") return res.end("2");
      res.setHeader("Content-Type", "text/html; charset=utf-8");
      res.end(`<!doctype html><title>Quorum</title><body style="background:#1d4ed8;color:white"><h1>nodes</h1>
<script>fetch("/online").then(r => r.text()).then(n => { document.title = "Quorum \u2014 " + n + " nodes online"; });</script>`);
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const port = server.address().port;
    const app = launchQuorum(["app", "--port", String(port)], userEnv(fakeXdgOpen().dir, xvfb.display));
    try {
      await waitFor(() => quorumWindows(xvfb.display).some((w) => w.title === "Quorum \u2014 2 nodes online"), {
        timeoutMs: 30000,
        what: () => `the page's title on the window: ${JSON.stringify(quorumWindows(xvfb.display))}\n${app.stderr()}`,
      });
      assert.match(app.stderr(), /a node answers on/);
      app.proc.kill("SIGTERM");
      const r = await app.end();
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(quorumWindows(xvfb.display), [], "the window is gone");
    } finally {
      app.proc.kill("SIGKILL");
      server.close();
    }
  });
});
