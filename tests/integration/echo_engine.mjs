// An OpenAI-compatible engine with one model, "echo", that answers a chat with "ANSWER-" and the last user
// message reversed (streamed or not): a completion the test knows in advance and can look for on the wire.
// Run as a program (inside a namespace): node echo_engine.mjs PORT; prints "ready" once it listens on
// 127.0.0.1:PORT.
import http from "node:http";

const port = Number(process.argv[2]);
const chunk = (delta, finish = null) => JSON.stringify({ id: "e", object: "chat.completion.chunk", created: 1,
  model: "echo", choices: [{ index: 0, delta, finish_reason: finish }] });

const server = http.createServer((req, res) => {
  let text = "";
  req.on("data", (d) => (text += d));
  req.on("end", () => {
    if (req.method === "GET" && req.url.startsWith("/v1/models")) {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: "echo", object: "model", owned_by: "test" }] }));
      return;
    }
    const body = JSON.parse(text || "{}");
    const last = (body.messages ?? []).filter((m) => m.role === "user").at(-1)?.content ?? "";
    const answer = "ANSWER-" + [...String(last)].reverse().join("");
    if (body.stream) {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write(`data: ${chunk({ role: "assistant", content: "" })}\n\n`);
      res.write(`data: ${chunk({ content: answer })}\n\n`);
      res.write(`data: ${chunk({}, "stop")}\n\n`);
      res.end("data: [DONE]\n\n");
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ id: "e", object: "chat.completion", created: 1, model: "echo",
      choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
  });
});
server.listen(port, "127.0.0.1", () => console.log("ready"));
process.on("SIGTERM", () => process.exit(0));
