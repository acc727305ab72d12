// A scripted OpenAI-compatible engine for the cases a real llama-server cannot be made to produce on demand:
// other engines' dialects (vLLM's `reasoning`, tool-call fragments without ids), slow first tokens, streams
// that stop without [DONE], garbage. Each model id names a script; the server replays it.
import { once } from "node:events";
import http from "node:http";
import net from "node:net";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const chunk = (delta, finish = null) =>
  JSON.stringify({ id: "x", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] });

// Resolves when the client of `res` has gone (its connection closed).
const closed = (res) => new Promise((r) => (res.destroyed ? r() : res.once("close", r)));

// The content of the scripts below that answer in pieces: "piece-0 piece-1 …", one piece per event.
export const piece = (i) => `piece-${i} `;

// Ends a stream after its content: finish_reason, usage when asked (one token per piece), [DONE].
function finish(res, body, pieces) {
  res.write(`data: ${chunk({}, "stop")}\n\n`);
  if (body.stream_options?.include_usage) {
    res.write(`data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage: { prompt_tokens: 1, completion_tokens: pieces, total_tokens: pieces + 1 } })}\n\n`);
  }
  res.write("data: [DONE]\n\n");
  res.end();
}

// Each script: async (res, body, stats, engine) => void, writing SSE to res; `engine.gate` is the engine's
// gate (startScriptedEngine), which the test opens.
const scripts = {
  // vLLM >= 0.11: reasoning under `reasoning`, also copied to `reasoning_content`; usage on request.
  "vllm-reasoning": async (res, body) => {
    res.write(`data: ${chunk({ role: "assistant", content: "" })}\n\n`);
    res.write(`data: ${chunk({ reasoning: "Let me ", reasoning_content: "Let me " })}\n\n`);
    res.write(`data: ${chunk({ reasoning: "think.", reasoning_content: "think." })}\n\n`);
    res.write(`data: ${chunk({ content: "Answer." })}\n\n`);
    res.write(`data: ${chunk({}, "stop")}\n\n`);
    if (body.stream_options?.include_usage) {
      res.write(`data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } })}\n\n`);
    }
    res.write("data: [DONE]\n\n");
    res.end();
  },
  // Tool call fragments as vLLM sends them: id/name once, later fragments with only index + arguments;
  // plus a repeated name that must not be repeated to the client; CRLF line endings.
  "tools": async (res) => {
    res.write(`data: ${chunk({ role: "assistant", content: null })}\r\n\r\n`);
    res.write(`data: ${chunk({ tool_calls: [{ index: 0, id: "call_A", type: "function", function: { name: "get_weather", arguments: "" } }] })}\r\n\r\n`);
    res.write(`data: ${chunk({ tool_calls: [{ index: 0, function: { name: "get_weather", arguments: '{"city":' } }] })}\r\n\r\n`);
    res.write(`data: ${chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] })}\r\n\r\n`);
    res.write(`data: ${chunk({}, "tool_calls")}\r\n\r\n`);
    res.write("data: [DONE]\r\n\r\n");
    res.end();
  },
  // Nothing for 2.5 s, then an answer: the node must keep the client's connection alive meanwhile.
  "slow-start": async (res) => {
    await sleep(2500);
    res.write(`data: ${chunk({ role: "assistant", content: "late" })}\n\n`);
    res.write(`data: ${chunk({}, "stop")}\n\n`);
    res.write("data: [DONE]\n\n");
    res.end();
  },
  // A multi-byte character split across two network writes and two SSE events.
  "split-utf8": async (res) => {
    const bytes = Buffer.from(chunk({ content: "caf\u00e9 \u{1F642}" }));
    res.write("data: ");
    res.write(bytes.subarray(0, bytes.length - 7));
    await sleep(20);
    res.write(bytes.subarray(bytes.length - 7));
    res.write("\n\n");
    res.write(`data: ${chunk({}, "stop")}\n\ndata: [DONE]\n\n`);
    res.end();
  },
  // An engine that cuts a character between two events: each event alone is invalid UTF-8.
  "split-char-events": async (res) => {
    const pre = Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"caf');
    const post = Buffer.from('"}}]}\n\n');
    res.write(Buffer.concat([pre, Buffer.from([0xc3]), post]));
    res.write(Buffer.concat([Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"'), Buffer.from([0xa9]), Buffer.from(' ok'), post]));
    res.write(`data: ${chunk({}, "stop")}\n\ndata: [DONE]\n\n`);
    res.end();
  },
  // Stops after some content, without finish_reason or [DONE].
  "truncated": async (res) => {
    res.write(`data: ${chunk({ role: "assistant", content: "half" })}\n\n`);
    await sleep(50);
    res.socket.destroy();
  },
  // Sends garbage instead of JSON.
  "garbage": async (res) => {
    res.write(`data: ${chunk({ role: "assistant", content: "ok" })}\n\n`);
    res.write("data: {not json\n\n");
    res.end();
  },
  // llama.cpp-style error before streaming: HTTP 400 with an integer code.
  "context-overflow": async (res) => {
    res.writeHead(400, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: { code: 400, message: "the request exceeds the available context size", type: "exceed_context_size_error", n_prompt_tokens: 5000, n_ctx: 2048 } }));
    return "handled";
  },
  // Engine crash before the first byte.
  "crash": async (res) => {
    res.writeHead(500, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: { code: 500, message: "CUDA error: out of memory", type: "server_error" } }));
    return "handled";
  },
  // One SSE line that never ends: "data: xxxx…" in 1 MiB writes, as fast as the node reads, until the node hangs
  // up (or 256 MiB, so that a node without a cap cannot be driven out of memory by the test itself).
  "endless-line": async (res, body, stats) => {
    res.write(`data: ${chunk({ role: "assistant", content: "a" })}\n\ndata: {"choices":[{"index":0,"delta":{"content":"`);
    const piece = Buffer.alloc(1 << 20, "x");
    for (let sent = 0; sent < 256 << 20 && !res.destroyed; sent += piece.length) {
      stats.bytesSent += piece.length;
      if (!res.write(piece)) await new Promise((r) => { res.once("drain", r); res.once("close", r); });
    }
    res.end();
  },
  // Older llama-server builds report a failure mid-stream in a non-standard `error:` SSE field, then hang up.
  "llama-error-field": async (res) => {
    res.write(`data: ${chunk({ role: "assistant", content: "partial" })}\n\n`);
    res.write(`error: ${JSON.stringify({ code: 500, message: "slot 0: KV cache is full", type: "server_error" })}\n\n`);
    res.end();
  },
  // The same before any token, with a client's mistake: the HTTP status must say so.
  "llama-error-field-first": async (res) => {
    res.write(`error: ${JSON.stringify({ code: 400, message: "the request exceeds the available context size", type: "exceed_context_size_error" })}\n\n`);
    res.end();
  },
  // Current llama-server: `data: {"error":{…}}` mid-stream, then it stops.
  "llama-error-data": async (res) => {
    res.write(`data: ${chunk({ role: "assistant", content: "partial" })}\n\n`);
    res.write(`data: ${JSON.stringify({ error: { code: 500, message: "decode failed: out of memory", type: "server_error" } })}\n\n`);
    res.end();
  },
  // A crash whose plain-text body is not UTF-8 (a proxy's or a runtime's bytes): the node must not pass the
  // bytes on into its own JSON.
  "bytes-error": async (res) => {
    res.writeHead(500, { "Content-Type": "text/plain" });
    res.end(Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0x20, 0x62, 0x79, 0x74, 0x65, 0x73]));
    return "handled";
  },
  // A redirect (a proxy in front of the engine sending http to https): not a status to pass on.
  "redirect": async (res) => {
    res.writeHead(301, { "Content-Type": "text/html", Location: "https://engine.invalid/v1/chat/completions" });
    res.end("<html>Moved Permanently</html>");
    return "handled";
  },
  // Embeddings with a number beyond a double's range, which the node would read as an infinity.
  "infinite-embedding": async (res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end('{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,1e400]}],"model":"m",' +
      '"usage":{"prompt_tokens":1,"total_tokens":1}}');
    return "handled";
  },
  // Nothing until the test opens the engine's gate (or the client leaves), then five pieces: a first token
  // that comes exactly when the test wants it.
  "gated": async (res, body, stats, engine) => {
    await Promise.race([engine.gate.opened, closed(res)]);
    if (res.destroyed) return;
    res.write(`data: ${chunk({ role: "assistant", content: "" })}\n\n`);
    for (let i = 0; i < 5; i++) res.write(`data: ${chunk({ content: piece(i) })}\n\n`);
    finish(res, body, 5);
  },
  // Three pieces at once, then nothing until the gate opens, then two more: a stream the test can cut
  // in the middle.
  "gated-mid": async (res, body, stats, engine) => {
    res.write(`data: ${chunk({ role: "assistant", content: "" })}\n\n`);
    for (let i = 0; i < 3; i++) res.write(`data: ${chunk({ content: piece(i) })}\n\n`);
    await Promise.race([engine.gate.opened, closed(res)]);
    if (res.destroyed) return;
    for (let i = 3; i < 5; i++) res.write(`data: ${chunk({ content: piece(i) })}\n\n`);
    finish(res, body, 5);
  },
  // The role chunk and the first piece in one write (so the node forwards them with its head), then nothing
  // until the gate opens, then four more: a first token that must not wait for the next.
  "first-then-gated": async (res, body, stats, engine) => {
    res.write(`data: ${chunk({ role: "assistant", content: "" })}\n\ndata: ${chunk({ content: piece(0) })}\n\n`);
    await Promise.race([engine.gate.opened, closed(res)]);
    if (res.destroyed) return;
    for (let i = 1; i < 5; i++) res.write(`data: ${chunk({ content: piece(i) })}\n\n`);
    finish(res, body, 5);
  },
  // The last user message back, in two pieces: "echo:" and the message.
  "echo": async (res, body) => {
    const last = (body.messages ?? []).filter((m) => m.role === "user").at(-1)?.content ?? "";
    res.write(`data: ${chunk({ role: "assistant", content: "echo:" })}\n\n`);
    res.write(`data: ${chunk({ content: String(last) })}\n\n`);
    finish(res, body, 2);
  },
  // 4 KiB pieces as fast as the node takes them, until the client leaves (or 64 MiB); stats.bytesSent
  // counts what the engine wrote, so a test sees where back-pressure stopped it, and stats.floodsCut the
  // floods whose client left.
  "flood": async (res, body, stats) => {
    res.write(`data: ${chunk({ role: "assistant", content: "" })}\n\n`);
    const event = `data: ${chunk({ content: "x".repeat(4096) })}\n\n`;
    const gone = closed(res);
    for (let sent = 0; sent < 64 << 20 && !res.destroyed; sent += event.length) {
      stats.bytesSent += event.length;
      if (!res.write(event)) await Promise.race([once(res, "drain"), gone]);
    }
    if (!res.destroyed) finish(res, body, 0);
    else stats.floodsCut = (stats.floodsCut ?? 0) + 1;
  },
  // Silent for `silent_ms` (a field of the request, which the node passes through), then one piece: a
  // model that takes that long to load.
  "silent": async (res, body) => {
    await Promise.race([sleep(Number(body.silent_ms ?? 0)), closed(res)]);
    if (res.destroyed) return;
    res.write(`data: ${chunk({ role: "assistant", content: "awake" })}\n\n`);
    finish(res, body, 1);
  },
  // llama-server's reasoning shape (`reasoning_content` only, as with --reasoning-format deepseek): the
  // reasoning word by word, then the answer word by word, one event every 40 ms, so that a page shows each
  // step. The words are reasoningWords and answerWords below.
  "llama-reasoning": async (res, body) => {
    res.write(`data: ${chunk({ role: "assistant", content: null })}\n\n`);
    const gone = closed(res);
    const say = async (field, words) => {
      for (const w of words) {
        await Promise.race([sleep(40), gone]);
        if (res.destroyed) return;
        res.write(`data: ${chunk({ [field]: w })}\n\n`);
      }
    };
    await say("reasoning_content", reasoningWords);
    await say("content", answerWords);
    if (!res.destroyed) finish(res, body, reasoningWords.length + answerWords.length);
  },
  // One piece (piece(i)) every 50 ms for a minute, unless the client leaves first: a long generation to stop.
  // stats.endlessPieces counts the pieces written, stats.endlessCut the streams whose client left.
  "endless": async (res, body, stats) => {
    res.write(`data: ${chunk({ role: "assistant", content: "" })}\n\n`);
    const gone = closed(res);
    for (let i = 0; i < 1200; i++) {
      await Promise.race([sleep(50), gone]);
      if (res.destroyed) {
        stats.endlessCut = (stats.endlessCut ?? 0) + 1;
        return;
      }
      stats.endlessPieces = (stats.endlessPieces ?? 0) + 1;
      res.write(`data: ${chunk({ content: piece(i) })}\n\n`);
    }
    finish(res, body, 1200);
  },
  // Silent forever after the head: the node's idle watchdog must end it.
  "stall": async (res) => {
    res.write(`data: ${chunk({ role: "assistant", content: "a" })}\n\n`);
    await sleep(60000);
    res.end();
  },
};

// The words of "llama-reasoning": its reasoning, then its answer (each word with its trailing space).
export const reasoningWords = "The user says hello. A short and friendly greeting is enough here. ".split(/(?<= )/);
export const answerWords = "Hello! I am a tiny model answering through Quorum. What shall we do today?".split(/(?<= )/);

// The scripts that write their own status and headers (the others stream SSE with a 200).
const ownHead = new Set(["context-overflow", "crash", "bytes-error", "redirect", "infinite-embedding"]);

// keepAliveTimeoutMs: how long the engine keeps an idle connection open (Node's default is 5 s).
// prefix: offered model ids are the script names with this prefix (so two engines offer different models).
// offer: the script names to list in /v1/models (default: all of them).
// The engine's gate holds the "gated" scripts until openGate().
export function startScriptedEngine({ keepAliveTimeoutMs, prefix = "", offer = Object.keys(scripts) } = {}) {
  const requests = [];
  let openGate;
  const engine = { gate: { opened: new Promise((r) => (openGate = r)) } };
  const connections = { opened: 0, closed: 0 };
  const stats = { bytesSent: 0 };
  const server = http.createServer(async (req, res) => {
    if (req.method === "GET" && req.url === "/v1/models") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: offer.map((id) => ({ id: prefix + id, object: "model", created: 0, owned_by: "script" })) }));
      return;
    }
    let raw = "";
    for await (const piece of req) raw += piece;
    const body = JSON.parse(raw || "{}");
    requests.push({ url: req.url, body, remotePort: req.socket.remotePort });
    const name = String(body.model ?? "");
    const script = name.startsWith(prefix) ? scripts[name.slice(prefix.length)] : undefined;
    if (!script) {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { message: "no script", type: "not_found_error", code: 404 } }));
      return;
    }
    if (!ownHead.has(name.slice(prefix.length))) res.writeHead(200, { "Content-Type": "text/event-stream" });
    try {
      await script(res, body, stats, engine);
    } catch {
      res.destroy();
    }
  });
  if (keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = keepAliveTimeoutMs;
  server.on("connection", (socket) => {
    connections.opened++;
    socket.on("close", () => connections.closed++);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests,
        connections,
        stats,
        openGate: () => openGate(),
        stop: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

// An engine that sends its HTTP/1.1 responses one byte per write, so that every boundary (status line,
// headers, chunk-size lines, chunk data, SSE lines, a multi-byte character) is cut somewhere. Serves
// GET /v1/models (model "dribble") and a streamed chat answer "héllo 🙂".
export function startDribblingEngine() {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let received = "";
    socket.on("data", async (data) => {
      received += data.toString("latin1");
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(received.slice(0, end))?.[1] ?? 0);
      if (received.length < end + 4 + length) return;
      const isModels = received.startsWith("GET /v1/models");
      received = "";
      const body = isModels
        ? [JSON.stringify({ object: "list", data: [{ id: "dribble", object: "model", created: 0, owned_by: "x" }] })]
        : [
            `data: ${chunk({ role: "assistant", content: "" })}\n\n`,
            `data: ${chunk({ content: "h\u00e9llo " })}\n\n`,
            `data: ${chunk({ content: "\u{1F642}" })}\n\n`,
            `data: ${chunk({}, "stop")}\n\n`,
            "data: [DONE]\n\n",
          ];
      const type = isModels ? "application/json" : "text/event-stream";
      let wire = `HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nTransfer-Encoding: chunked\r\n\r\n`;
      for (const piece of body) {
        const bytes = Buffer.from(piece, "utf8");
        wire += `${bytes.length.toString(16)}\r\n${bytes.toString("latin1")}\r\n`;
      }
      wire += "0\r\n\r\n";
      for (const byte of Buffer.from(wire, "latin1")) {
        if (socket.destroyed) return;
        socket.write(Buffer.from([byte]));
        await new Promise((r) => setImmediate(r));
      }
    });
    socket.on("error", () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
