// One HTTP request in a TLS session with a cluster's peer key, as a program (netns.mjs peerCallIn runs it
// inside a namespace): node peer_call.mjs '{"identity","key" (hex),"method","url","headers","body"}'. Prints
// {"status","body"} (status 0 and "error" when there was no session or no answer).
import tls from "node:tls";
import { peerTlsOptions } from "./netns.mjs";
import { parseResponses } from "./raw_http.mjs";

const { identity, key, method, url, headers, body } = JSON.parse(process.argv[2]);
const u = new URL(url);
const socket = tls.connect({ host: u.hostname, port: Number(u.port), ...peerTlsOptions({ identity, key: Buffer.from(key, "hex") }) });
let received = Buffer.alloc(0);
let error = "";
socket.on("secureConnect", () => {
  const payload = body === undefined ? "" : body;
  const extra = body === undefined ? {} : { "Content-Type": "application/json" };
  const lines = Object.entries({ Host: u.host, Connection: "close", ...extra, ...headers,
    "Content-Length": String(Buffer.byteLength(payload)) }).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  socket.write(`${method} ${u.pathname}${u.search} HTTP/1.1\r\n${lines}\r\n${payload}`);
});
socket.on("data", (d) => (received = Buffer.concat([received, d])));
socket.on("error", (e) => (error = e.message));
socket.on("close", () => {
  const [response] = parseResponses(received, { closed: true });
  if (!response) {
    console.log(JSON.stringify({ status: 0, body: "", error: error || "no answer" }));
  } else {
    console.log(JSON.stringify({ status: response.status, body: response.body.toString("utf8") }));
  }
});
