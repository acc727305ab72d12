// A stand-in for Ollama (which cannot run here) that replays the shapes of its native API as documented
// (docs/api.md of ollama/ollama; openai-wire.md §8.1): /api/tags, /api/ps, /api/chat and /api/generate as
// NDJSON streams with `thinking`, whole tool calls with object arguments, a mid-stream {"error"} line,
// {"error"} bodies with HTTP statuses, and /api/embed.
import http from "node:http";

const MODELS = [
  { name: "llama3.2:latest", model: "llama3.2:latest", modified_at: "2025-05-04T17:37:44.706015396-07:00", size: 2019393189,
    digest: "a80c4f17acd5", details: { format: "gguf", family: "llama", parameter_size: "3.2B", quantization_level: "Q4_K_M" } },
  { name: "qwen3:8b", model: "qwen3:8b", modified_at: "2025-06-01T10:00:00Z", size: 5200000000, digest: "b1",
    details: { format: "gguf", family: "qwen3", parameter_size: "8B", quantization_level: "Q4_K_M" } },
  { name: "nomic-embed-text:latest", model: "nomic-embed-text:latest", modified_at: "2025-06-01T10:00:00Z", size: 1, digest: "c1", details: {} },
];

const line = (o) => JSON.stringify(o) + "\n";
const at = () => new Date().toISOString();

export function startFakeOllama() {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    let raw = "";
    for await (const piece of req) raw += piece;
    const body = raw ? JSON.parse(raw) : {};
    requests.push({ method: req.method, url: req.url, body });
    const json = (status, o) => {
      res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(o));
    };
    if (req.url === "/api/tags") return json(200, { models: MODELS });
    if (req.url === "/api/ps") return json(200, { models: [{ name: "llama3.2:latest", model: "llama3.2:latest", size_vram: 0 }] });
    if (req.url === "/api/version") return json(200, { version: "0.12.6" });
    const known = MODELS.some((m) => m.name === body.model);
    if (!known && req.url.startsWith("/api/")) return json(404, { error: `model '${body.model}' not found` });
    if (req.url === "/api/embed") {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      return json(200, { model: body.model, embeddings: inputs.map((_, i) => [0.5, -0.25, i + 0.125]), prompt_eval_count: 4 * inputs.length });
    }
    if (req.url === "/api/chat" || req.url === "/api/generate") {
      res.writeHead(200, { "Content-Type": "application/x-ndjson" });
      const chat = req.url === "/api/chat";
      const last = chat ? body.messages.at(-1).content : body.prompt;
      const piece = (text, extra = {}) =>
        chat ? { model: body.model, created_at: at(), message: { role: "assistant", content: text, ...extra }, done: false }
             : { model: body.model, created_at: at(), response: text, done: false };
      if (/think/.test(last)) {
        res.write(line({ model: body.model, created_at: at(), message: { role: "assistant", content: "", thinking: "Hmm, " }, done: false }));
        res.write(line({ model: body.model, created_at: at(), message: { role: "assistant", content: "", thinking: "let me see." }, done: false }));
      }
      if (body.tools?.length) {
        res.write(line({ model: body.model, created_at: at(), message: { role: "assistant", content: "",
          tool_calls: [{ function: { index: 0, name: body.tools[0].function.name, arguments: { city: "Tokyo", days: 2 } } }] }, done: false }));
        res.end(line({ model: body.model, created_at: at(), message: { role: "assistant", content: "" }, done: true, done_reason: "stop",
          prompt_eval_count: 20, eval_count: 9 }));
        return;
      }
      res.write(line(piece("Hello")));
      res.write(line(piece(" from")));
      if (/fail/.test(last)) {
        res.end(line({ error: "llama runner process has terminated: signal: killed" }));
        return;
      }
      res.write(line(piece(" Ollama")));
      const limited = body.options?.num_predict === 3;
      res.end(line({ ...piece(""), done: true, done_reason: limited ? "length" : "stop", total_duration: 1000, prompt_eval_count: 12, eval_count: 3 }));
      return;
    }
    json(404, { error: "not found" });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}`, port, requests, stop: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.argv[process.argv.indexOf("--port") + 1] || 0);
  const f = await startFakeOllama(port);
  console.log(`listening ${f.port}`);
}
