// quorum-fake-engine: a synthetic OpenAI-compatible engine for the benchmark (bench/run.sh). No model behind
// it: it answers the way llama.cpp's llama-server does, at a fixed pace, so that what a proxy in front of it
// adds can be measured.
//
//   GET  /v1/models (and /models)      one model, --model (default "bench-model")
//   GET  /health                       {"status":"ok"}
//   POST /v1/chat/completions          "stream": true  -> SSE like llama-server: a role chunk
//        (and /chat/completions)          (delta {"role":"assistant","content":null}) and the first content
//                                         chunk after --first-token-delay-ms, then one content chunk per
//                                         --delay-ms (each one short word), a finish chunk (delta {}), a
//                                         usage chunk ("choices": []) when stream_options.include_usage, then
//                                         "data: [DONE]"; the last chunk carries llama-server's "timings".
//                                      otherwise -> one chat.completion after the same total time.
//   `max_tokens` / `max_completion_tokens` / `n_predict` below --tokens shorten the reply
//   (finish_reason "length"). A client that leaves is noticed at the next write; generation then stops.
//
// Threads: --threads io_contexts, one thread each, each with its own SO_REUSEPORT listener on the same port
// (the node's model). Prints "listening on http://HOST:PORT" on stdout once it accepts connections; exits 0
// on SIGINT or SIGTERM.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "net/http_server.h"
#include "wire/sse.h"

namespace quorum::bench {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using net::Task;
using Clock = std::chrono::steady_clock;

struct EngineConfig {
  std::string model = "bench-model";
  int tokens = 32;
  int delay_ms = 10;
  int first_token_delay_ms = 0;
};

// The words the engine "generates", one per token, cycled.
constexpr const char* kWords[] = {" the", " quick", " brown", " fox", " jumps", " over", " a",    " lazy",
                                  " dog", " and",   " runs",  " far", " away",  " from", " home", " again"};
constexpr size_t kWordCount = sizeof(kWords) / sizeof(kWords[0]);

std::string random_id() {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  thread_local uint64_t state = static_cast<uint64_t>(Clock::now().time_since_epoch().count()) ^
                                std::hash<std::thread::id>{}(std::this_thread::get_id());
  std::string s(32, '0');
  for (auto& c : s) {
    state ^= state << 13;  // xorshift64: ids only need to differ, not to be unpredictable
    state ^= state >> 7;
    state ^= state << 17;
    c = kAlphabet[state % (sizeof(kAlphabet) - 1)];
  }
  return s;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string llama_error(int code, std::string_view message, std::string_view type) {
  json::object error{{"code", code}, {"message", message}, {"type", type}};
  return json::serialize(json::object{{"error", std::move(error)}});
}

net::Headers json_headers() {
  net::Headers h;
  h.add("Content-Type", "application/json; charset=utf-8");
  h.add("Server", "quorum-fake-engine");
  return h;
}

// What one chat request asks of the engine.
struct Reply {
  bool stream = false;
  bool include_usage = false;
  int tokens = 0;
  bool truncated = false;  // stopped by max_tokens: finish_reason "length"
  int prompt_tokens = 1;
  std::string model_json;  // the model name as a JSON string literal
  std::string id;
  int64_t created = 0;
};

// Parses the body like llama-server would need it; nullopt-like failure is reported through `error`.
bool parse_reply(const EngineConfig& config, std::string_view body, Reply& reply, std::string& error) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    error = "The request body is not a JSON object.";
    return false;
  }
  const auto& o = v.get_object();
  auto messages = o.find("messages");
  if (messages == o.end() || !messages->value().is_array() || messages->value().get_array().empty()) {
    error = "'messages' is required and must be a non-empty array.";
    return false;
  }
  size_t prompt_chars = 0;
  for (const auto& m : messages->value().get_array()) {
    if (!m.is_object()) continue;
    if (auto c = m.get_object().find("content"); c != m.get_object().end() && c->value().is_string()) {
      prompt_chars += c->value().get_string().size();
    }
  }
  reply.prompt_tokens = static_cast<int>(prompt_chars / 4 + 1);
  if (auto s = o.find("stream"); s != o.end() && s->value().is_bool()) reply.stream = s->value().get_bool();
  if (auto so = o.find("stream_options"); so != o.end() && so->value().is_object()) {
    const auto& opts = so->value().get_object();
    if (auto u = opts.find("include_usage"); u != opts.end() && u->value().is_bool()) {
      reply.include_usage = u->value().get_bool();
    }
  }
  reply.tokens = config.tokens;
  for (const char* key : {"n_predict", "max_completion_tokens", "max_tokens"}) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_int64()) continue;
    int64_t limit = it->value().get_int64();
    if (limit >= 0 && limit < reply.tokens) {
      reply.tokens = static_cast<int>(limit);
      reply.truncated = true;
    }
    break;
  }
  std::string model = config.model;
  if (auto m = o.find("model"); m != o.end() && m->value().is_string() && !m->value().get_string().empty()) {
    model = std::string(m->value().get_string());
  }
  reply.model_json = json::serialize(json::string(model));
  reply.id = "chatcmpl-" + random_id();
  reply.created = unix_now();
  return true;
}

std::string usage_json(const Reply& r) {
  return "{\"completion_tokens\":" + std::to_string(r.tokens) +
         ",\"prompt_tokens\":" + std::to_string(r.prompt_tokens) +
         ",\"total_tokens\":" + std::to_string(r.tokens + r.prompt_tokens) + "}";
}

std::string timings_json(const Reply& r, double predicted_ms) {
  char buf[384];
  double per_token = r.tokens ? predicted_ms / r.tokens : 0;
  std::snprintf(buf, sizeof(buf),
                "{\"cache_n\":0,\"prompt_n\":%d,\"prompt_ms\":0.1,\"prompt_per_token_ms\":%.4f,"
                "\"prompt_per_second\":%.1f,\"predicted_n\":%d,\"predicted_ms\":%.3f,"
                "\"predicted_per_token_ms\":%.4f,\"predicted_per_second\":%.3f}",
                r.prompt_tokens, 0.1 / r.prompt_tokens, r.prompt_tokens * 10000.0, r.tokens, predicted_ms,
                per_token, per_token > 0 ? 1000.0 / per_token : 0.0);
  return buf;
}

// Streams the reply. Returns when done or when the client is gone.
Task<void> stream_reply(const EngineConfig& config, const Reply& r, net::ResponseWriter& w) {
  net::Headers h;
  h.add("Content-Type", "text/event-stream");
  h.add("Cache-Control", "no-cache");
  h.add("Server", "quorum-fake-engine");
  if (!co_await w.begin_stream(200, h)) co_return;

  // Every chunk ends with the same identity fields, in llama-server's order.
  const std::string tail = "],\"created\":" + std::to_string(r.created) + ",\"id\":\"" + r.id +
                           "\",\"model\":" + r.model_json +
                           ",\"system_fingerprint\":\"b0-bench\",\"object\":\"chat.completion.chunk\"";
  auto chunk = [&](std::string_view choices, std::string_view extra = {}) {
    std::string s;
    s.reserve(32 + choices.size() + tail.size() + extra.size());
    s += "data: {\"choices\":[";
    s += choices;
    s += tail;
    s += extra;
    s += "}\n\n";
    return s;
  };

  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  const auto start = Clock::now();
  auto next = start + std::chrono::milliseconds(config.first_token_delay_ms);
  auto wait_until = [&](Clock::time_point t) -> Task<bool> {
    if (t <= Clock::now()) co_return true;
    timer.expires_at(t);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  };

  if (!co_await wait_until(next)) co_return;
  if (!co_await w.write(chunk(
          "{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}"))) {
    co_return;
  }
  for (int i = 0; i < r.tokens; ++i) {
    if (i > 0) {
      next += std::chrono::milliseconds(config.delay_ms);
      if (!co_await wait_until(next)) co_return;
    }
    std::string choice = "{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"";
    choice += kWords[i % kWordCount];
    choice += "\"}}";
    if (!co_await w.write(chunk(choice))) co_return;
  }
  double predicted_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  const std::string timings = ",\"timings\":" + timings_json(r, predicted_ms);
  std::string finish = std::string("{\"finish_reason\":\"") + (r.truncated ? "length" : "stop") +
                       "\",\"index\":0,\"delta\":{}}";
  std::string out = chunk(finish, r.include_usage ? std::string_view() : std::string_view(timings));
  if (r.include_usage) {
    out += "data: {\"choices\":[" + tail + ",\"usage\":" + usage_json(r) + timings + "}\n\n";
  }
  if (!co_await w.write(out)) co_return;
  if (!co_await w.write(wire::kSseDone)) co_return;
  co_await w.end_stream();
}

Task<void> complete_reply(const EngineConfig& config, const Reply& r, net::ResponseWriter& w) {
  auto executor = co_await asio::this_coro::executor;
  const auto start = Clock::now();
  asio::steady_timer timer(executor);
  int64_t total_ms =
      config.first_token_delay_ms + static_cast<int64_t>(std::max(0, r.tokens - 1)) * config.delay_ms;
  if (total_ms > 0) {
    timer.expires_after(std::chrono::milliseconds(total_ms));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  std::string text;
  for (int i = 0; i < r.tokens; ++i) text += kWords[i % kWordCount];
  double predicted_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  std::string body =
      "{\"choices\":[{\"finish_reason\":\"" + std::string(r.truncated ? "length" : "stop") +
      "\",\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":" +
      json::serialize(json::string(text)) + "}}],\"created\":" + std::to_string(r.created) +
      ",\"model\":" + r.model_json +
      ",\"system_fingerprint\":\"b0-bench\",\"object\":\"chat.completion\",\"usage\":" + usage_json(r) +
      ",\"id\":\"" + r.id + "\",\"timings\":" + timings_json(r, predicted_ms) + "}";
  co_await w.send(200, json_headers(), std::move(body));
}

Task<void> handle(const EngineConfig& config, net::HttpRequest& req, net::ResponseWriter& w) {
  std::string path = req.target.substr(0, req.target.find('?'));
  if (path.rfind("/v1/", 0) == 0) path = path.substr(3);
  if (path == "/models" && req.method == "GET") {
    json::object model{{"id", config.model},
                       {"object", "model"},
                       {"created", unix_now()},
                       {"owned_by", "llamacpp"},
                       {"meta", json::object{{"n_ctx_train", 4096}, {"n_params", 0}}}};
    json::object legacy{{"name", config.model}, {"model", config.model}};
    json::object body{{"models", json::array{legacy}}, {"object", "list"}, {"data", json::array{model}}};
    co_await w.send(200, json_headers(), json::serialize(body));
  } else if (path == "/health" && req.method == "GET") {
    co_await w.send(200, json_headers(), "{\"status\":\"ok\"}");
  } else if (path == "/chat/completions" && req.method == "POST") {
    Reply reply;
    std::string error;
    if (!parse_reply(config, req.body, reply, error)) {
      co_await w.send(400, json_headers(), llama_error(400, error, "invalid_request_error"));
    } else if (reply.stream) {
      co_await stream_reply(config, reply, w);
    } else {
      co_await complete_reply(config, reply, w);
    }
  } else {
    co_await w.send(404, json_headers(), llama_error(404, "File Not Found", "not_found_error"));
  }
}

int run(int argc, char** argv) {
  Flags flags("quorum-fake-engine", "a synthetic llama-server-like OpenAI-compatible engine for benchmarks");
  flags.value("host", "127.0.0.1", "address to listen on");
  flags.value("port", "0", "port to listen on (0: any free port, printed at start)");
  flags.value("model", "bench-model", "the one model id served");
  flags.value("tokens", "32", "content tokens per reply");
  flags.value("delay-ms", "10", "milliseconds between two tokens (0: as fast as possible)");
  flags.value("first-token-delay-ms", "0", "milliseconds from the request to the first token");
  flags.value("threads", "1", "io_context threads, each with its own SO_REUSEPORT listener");
  flags.parse(argc, argv);

  EngineConfig config;
  config.model = flags.str("model");
  config.tokens = static_cast<int>(flags.num("tokens", 0, 1e9));
  config.delay_ms = static_cast<int>(flags.num("delay-ms", 0, 3.6e6));
  config.first_token_delay_ms = static_cast<int>(flags.num("first-token-delay-ms", 0, 3.6e6));
  const int threads = static_cast<int>(flags.num("threads", 1, 256));
  auto port = static_cast<unsigned short>(flags.num("port", 0, 65535));
  const std::string host = flags.str("host");

  rlim_t files = raise_open_file_limit();
  if (files < 12000)
    std::fprintf(stderr, "quorum-fake-engine: warning: only %lu open files allowed\n",
                 static_cast<unsigned long>(files));

  auto handler = [&config](net::HttpRequest& req, net::ResponseWriter& w) { return handle(config, req, w); };
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<std::unique_ptr<net::HttpServer>> servers;
  try {
    for (int i = 0; i < threads; ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      servers.push_back(std::make_unique<net::HttpServer>(contexts.back()->get_executor(), host, port,
                                                          handler, net::ServerLimits{},
                                                          /*reuse_port=*/threads > 1));
      port = servers.back()->port();  // with --port 0 the others share the port the first one got
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quorum-fake-engine: cannot listen on %s:%u: %s\n", host.c_str(), port, e.what());
    return 1;
  }
  for (auto& s : servers) s->start();

  asio::signal_set signals(*contexts.front(), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    for (auto& c : contexts) c->stop();
  });
  std::printf("listening on http://%s:%u\n", host.c_str(), port);
  std::fflush(stdout);

  std::vector<std::thread> workers;
  for (size_t i = 1; i < contexts.size(); ++i) workers.emplace_back([&, i] { contexts[i]->run(); });
  contexts.front()->run();
  for (auto& c : contexts) c->stop();
  for (auto& t : workers) t.join();
  servers.clear();
  return 0;
}

}  // namespace
}  // namespace quorum::bench

int main(int argc, char** argv) {
  return quorum::bench::run(argc, argv);
}
