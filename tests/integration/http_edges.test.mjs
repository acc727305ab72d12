// The edges of HTTP/1.1 as a client on this machine meets them (reliability audit L2, L3 and the chunked-body
// bound): every request the node cannot serve is answered once, in the API's error shape, before the
// connection closes: slow heads and bodies 408, oversized heads 431, a request that is not HTTP 400, bodies
// over the limit 413. HEAD answers carry no body and pipelined requests are answered in order, so a
// kept-alive connection stays in step; an HTTP/1.0 client gets a stream it can read (no chunked encoding,
// ended by the close). Raw sockets, since an HTTP library would not send these requests.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { startNode, waitFor } from "./harness.mjs";
import { RawClient, apiError } from "./raw_http.mjs";
import { startScriptedEngine } from "./scripted_engine.mjs";

let engine, node;

before(async () => {
  engine = await startScriptedEngine();
  // Short read timeouts, so that a slow client is cut within the test's time.
  node = await startNode({ args: ["--engine", `script=${engine.url}`, "--header-timeout", "2", "--body-timeout", "3"] });
});
after(async () => {
  await node?.stop();
  await engine?.stop();
});

const connect = () => RawClient.connect({ host: "127.0.0.1", port: node.port });
const rssKiB = () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${node.proc.pid}/status`, "utf8"))[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Sends `request` and returns the one answer, once the node has closed the connection after it.
async function answerAndClose(request, what) {
  const c = await connect();
  await c.write(request);
  const [response] = await c.responsesAfter(1, { timeoutMs: 10000 });
  await c.until((x) => x.ended, { what: `the node closing the connection after ${what}` });
  c.destroy();
  return response;
}

async function healthy() {
  const r = await fetch(`${node.url}/health`);
  assert.equal(r.status, 200);
  await r.text();
}

test("a head that arrives too slowly gets 408 in the API's shape, then the connection closes", async () => {
  const c = await connect();
  await c.write("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  // One header line every 300 ms, never the blank line that ends the head (slowloris).
  const drip = (async () => {
    for (let i = 0; i < 40 && !c.ended; i++) {
      await sleep(300);
      await c.write(`X-Slow-${i}: ${i}\r\n`);
    }
  })();
  const [response] = await c.responsesAfter(1, { timeoutMs: 10000 });
  assert.equal(response.status, 408);
  assert.equal(response.headers.connection, "close");
  assert.equal(apiError(response).code, "request_timeout");
  await c.until((x) => x.ended, { what: "the close after 408" });
  await drip;
  c.destroy();
  await healthy();
});

test("on a kept-alive connection, a next request whose head stalls gets 408 too", async () => {
  const c = await connect();
  await c.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  await c.responsesAfter(1);
  await c.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  const [, response] = await c.responsesAfter(2, { timeoutMs: 10000 });
  assert.equal(response.status, 408);
  assert.equal(apiError(response).code, "request_timeout");
  await c.until((x) => x.ended, { what: "the close after 408" });
  c.destroy();
});

test("a body that arrives too slowly gets 408, then the connection closes", async () => {
  const c = await connect();
  await c.write("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
  const drip = (async () => {
    for (let i = 0; i < 40 && !c.ended; i++) {
      await sleep(300);
      await c.write(" ");
    }
  })();
  const [response] = await c.responsesAfter(1, { timeoutMs: 10000 });
  assert.equal(response.status, 408);
  assert.equal(apiError(response).code, "request_timeout");
  await c.until((x) => x.ended, { what: "the close after 408" });
  await drip;
  c.destroy();
});

test("a connection that never sends anything is closed without an answer", async () => {
  const c = await connect();
  await c.until((x) => x.ended, { what: "the idle connection's close" });
  assert.equal(c.received.length, 0);
  c.destroy();
});

test("headers over 64 KiB get 431 in the API's shape", async () => {
  const response = await answerAndClose(
    `GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(70 << 10)}\r\n\r\n`, "431");
  assert.equal(response.status, 431);
  assert.equal(apiError(response).code, "headers_too_large");
  await healthy();
});

test("a request line that is not HTTP gets 400 in the API's shape", async () => {
  const response = await answerAndClose("HELLO THERE\r\n\r\n", "400");
  assert.equal(response.status, 400);
  const error = apiError(response);
  assert.equal(error.type, "invalid_request_error");
  assert.equal(error.code, "malformed_request");
});

test("bad chunked framing gets 400 in the API's shape", async () => {
  const response = await answerAndClose(
    "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
      "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", "400");
  assert.equal(response.status, 400);
  assert.equal(apiError(response).code, "malformed_request");
});

test("HEAD has no body, and the next request on the same connection is answered right", async () => {
  const c = await connect();
  await c.write("HEAD /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const [head] = await c.responsesAfter(1, { headRequests: [0] });
  assert.equal(head.status, 200);
  assert.ok(Number(head.headers["content-length"]) > 0, "the length GET would have");
  await c.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const [, health] = await c.responsesAfter(2, { headRequests: [0] });
  // A HEAD answer with a body would have been read as the start of this one.
  assert.equal(health.status, 200);
  assert.equal(JSON.parse(health.body).status, "ok");
  c.destroy();
});

test("pipelined requests are all answered, in order", async () => {
  const c = await connect();
  await c.write(
    "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" +
      "GET /v1/models/no-such-model HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" +
      "HEAD /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" +
      "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  const responses = await c.responsesAfter(4, { headRequests: [2] });
  assert.deepEqual(responses.map((r) => r.status), [200, 404, 200, 200]);
  assert.equal(JSON.parse(responses[0].body).status, "ok");
  assert.equal(apiError(responses[1]).code, "model_not_found");
  assert.equal(JSON.parse(responses[3].body).object, "list");
  await c.until((x) => x.ended, { what: "the close asked for by the last request" });
  c.destroy();
});

test("an HTTP/1.0 client gets a stream without chunked encoding, ended by the close", async () => {
  const body = JSON.stringify({ model: "vllm-reasoning", messages: [{ role: "user", content: "x" }], stream: true });
  const c = await connect();
  await c.write(`POST /v1/chat/completions HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  await c.until((x) => x.ended, { what: "the end of the stream" });
  const [response] = c.responses();
  assert.equal(response.status, 200);
  assert.equal(response.headers["transfer-encoding"], undefined);
  assert.equal(response.headers["content-length"], undefined);
  assert.match(response.headers["content-type"], /text\/event-stream/);
  const text = response.body.toString("utf8");
  assert.ok(text.endsWith("data: [DONE]\n\n"), text);
  assert.match(text, /"content":"Answer\."/);
  assert.doesNotMatch(text, /^[0-9a-f]+\r\n/m, "no chunk-size lines in the body");
  c.destroy();
});

test("a declared body over the limit gets 413 before a byte of it is sent", async () => {
  const c = await connect();
  await c.write("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
    `Content-Length: ${(8 << 20) + 1}\r\n\r\n`);
  const [response] = await c.responsesAfter(1);
  assert.equal(response.status, 413);
  assert.equal(apiError(response).code, "request_too_large");
  c.end();
  await c.until((x) => x.ended, { what: "the close after 413" });
  c.destroy();
  await healthy();
});

test("a 100 MB chunked body gets 413 after the limit, and the node stays healthy and small", async (t) => {
  await healthy();
  const before = rssKiB();
  const c = await connect();
  await c.write("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
    "Transfer-Encoding: chunked\r\n\r\n");
  const piece = Buffer.alloc(1 << 20, "a");
  const chunk = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]);
  let sent = 0;
  while (sent < 100 && c.responses().length === 0 && !c.ended) {
    if (!(await c.write(chunk))) break;
    sent++;
    // A turn of the event loop, so that what the node sent is read before the next write, as a client reading
    // while it sends would (a write the kernel takes at once completes without one: with a node that reads as
    // fast as this writes, the answer would wait in the socket until all 100 MiB were sent).
    await new Promise((resolve) => setImmediate(resolve));
  }
  const [response] = await c.responsesAfter(1);
  c.end(); // the client stops sending once answered, as it should
  assert.equal(response.status, 413);
  assert.equal(apiError(response).code, "request_too_large");
  assert.ok(sent < 100, "answered before the client had sent it all");
  await c.until((x) => x.ended, { what: "the close after 413" });
  c.destroy();
  await healthy();
  const growth = rssKiB() - before;
  t.diagnostic(`sent ${sent} MiB before the answer; the node's RSS grew by ${growth} KiB`);
  if (process.env.QUORUM_SANITIZED === "1") return; // ASan's quarantine holds freed memory
  assert.ok(growth < 24 << 10, `the node grew by ${growth} KiB`);
});

test("the node's descriptors are back to what they were once the clients are gone", async () => {
  const fds = () => fs.readdirSync(`/proc/${node.proc.pid}/fd`).length;
  await healthy();
  const baseline = fds();
  const clients = await Promise.all(Array.from({ length: 50 }, connect));
  // Each answered once and kept alive: the node holds all 50.
  for (const c of clients) await c.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  for (const c of clients) assert.equal((await c.responsesAfter(1))[0].status, 200);
  for (const c of clients) c.destroy();
  await waitFor(() => fds() <= baseline, { what: () => `the node's descriptors back to ${baseline} (now ${fds()})` });
});
