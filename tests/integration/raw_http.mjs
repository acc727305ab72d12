// HTTP/1.x spoken byte by byte, for the tests of what a library client never sends or hides: pipelined
// requests, HEAD, HTTP/1.0, slow or broken requests, answers that come before the body was sent. A RawClient
// keeps everything the server sent; parseResponses() cuts it into responses as a client must (1xx interim
// answers, Content-Length, chunked, or until the connection closed).
import net from "node:net";
import tls from "node:tls";

export class RawClient {
  // `options`: net.connect's ({ host, port } or { path } for a Unix socket, such as a netns relay's).
  static connect(options) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ ...options, allowHalfOpen: true });
      socket.once("connect", () => resolve(new RawClient(socket)));
      socket.once("error", reject);
    });
  }

  // The same in a TLS session: `tlsOptions` are tls.connect's (netns.mjs peerTlsOptions() for a cluster's
  // key). Rejects when the handshake fails.
  static connectTls(options, tlsOptions) {
    return new Promise((resolve, reject) => {
      const raw = net.connect({ ...options, allowHalfOpen: true });
      const socket = tls.connect({ socket: raw, allowHalfOpen: true, ...tlsOptions });
      socket.once("secureConnect", () => resolve(new RawClient(socket)));
      socket.once("error", reject);
      raw.once("error", reject);
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.received = Buffer.alloc(0);
    this.ended = false; // the server closed its side (or the connection is gone)
    this.error = null;
    this.closed = new Promise((r) => socket.once("close", r));
    this.waiters = new Set();
    socket.on("data", (d) => {
      this.received = Buffer.concat([this.received, d]);
      this.wake();
    });
    socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("error", (e) => {
      this.error = e;
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake();
    });
  }

  wake() {
    for (const w of this.waiters) w();
  }

  // Writes `data`, waiting for the socket to drain when it is full; false once the connection is gone.
  async write(data) {
    if (this.socket.destroyed || this.socket.writableEnded) return false;
    if (this.socket.write(data)) return true;
    await new Promise((r) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        r();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
    return !this.socket.destroyed;
  }

  // Resolves once `predicate(this)` holds; rejects after `timeoutMs`.
  until(predicate, { timeoutMs = 10000, what = "the server's answer" } = {}) {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; received: ${this.received.toString("latin1").slice(0, 500)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  // The complete responses so far (see parseResponses).
  responses(options) {
    return parseResponses(this.received, { ...options, closed: this.ended });
  }

  // Resolves once `count` complete responses have arrived (the last one may end with the connection).
  async responsesAfter(count, { timeoutMs = 10000, headRequests } = {}) {
    await this.until((c) => c.responses({ headRequests }).length >= count, { timeoutMs, what: `${count} response(s)` });
    return this.responses({ headRequests });
  }

  end() {
    this.socket.end();
  }

  destroy() {
    this.socket.destroy();
  }
}

// The complete responses in `buffer`, in order: { status, version, headers (lower-case names), body (a
// Buffer), interim: [1xx statuses before it] }; bytes that do not start a response end the list with
// { status: 0, garbage }. `headRequests`: indexes of the responses that answer HEAD (no
// body). A body without a length ends with the connection: it counts only once `closed`.
export function parseResponses(buffer, { headRequests = [], closed = false } = {}) {
  const responses = [];
  let at = 0;
  let interim = [];
  for (;;) {
    const headEnd = buffer.indexOf("\r\n\r\n", at, "latin1");
    if (headEnd < 0) return responses;
    const lines = buffer.subarray(at, headEnd).toString("latin1").split("\r\n");
    if (!/^HTTP\/1\.[01] \d{3}( |$)/.test(lines[0])) {
      // Not the start of a response: the connection is out of step (a body the client did not expect).
      responses.push({ status: 0, garbage: buffer.subarray(at).toString("latin1"), headers: {}, body: Buffer.alloc(0), interim });
      return responses;
    }
    const [version, status] = lines[0].split(" ");
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let next = headEnd + 4;
    if (Number(status) < 200) {
      interim.push(Number(status));
      at = next;
      continue;
    }
    let body;
    if (headRequests.includes(responses.length)) {
      body = Buffer.alloc(0);
    } else if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
      const parts = [];
      for (;;) {
        const lineEnd = buffer.indexOf("\r\n", next, "latin1");
        if (lineEnd < 0) return responses;
        const size = parseInt(buffer.subarray(next, lineEnd).toString("latin1"), 16);
        if (buffer.length < lineEnd + 2 + size + 2) return responses;
        parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        next = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      if (buffer.length < next + length) return responses;
      body = buffer.subarray(next, next + length);
      next += length;
    } else {
      if (!closed) return responses;
      body = buffer.subarray(next);
      next = buffer.length;
    }
    responses.push({ version, status: Number(status), headers, body, interim });
    interim = [];
    at = next;
  }
}

// The body of `response` as the API's error: { message, type, param, code }; throws when it is not one.
export function apiError(response) {
  const parsed = JSON.parse(response.body.toString("utf8"));
  if (!parsed.error || !("message" in parsed.error) || !("type" in parsed.error) || !("code" in parsed.error) ||
      !("param" in parsed.error)) {
    throw new Error(`not the API's error shape: ${response.body}`);
  }
  return parsed.error;
}
