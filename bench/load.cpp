// quorum-load: a load driver for OpenAI-compatible streaming chat endpoints (bench/run.sh), built on the
// node's own streaming HTTP client (net::http_request) and SSE decoder (wire::SseDecoder).
//
// Each of --concurrency workers sends POST {url}/v1/chat/completions with "stream": true, reads the SSE
// reply to its end and starts the next request, on the connection of the one before when that ended cleanly
// (net::http_request's pool, as an SDK client with keep-alive does; a new one otherwise). Per request it
// records:
//   - TTFT: from just before the request (and its connect, when one is made) to the first SSE event whose
//     choices[0].delta.content is a non-empty string (the role chunk does not count);
//   - total time, and the number of content events ("tokens").
// A request is an error when the status is not 200, an event is not JSON or carries "error", or the body
// ends without "data: [DONE]". Every event is parsed as JSON (the client does the work a real SDK does).
//
// Modes:
//   --requests R     R requests in total, then report (the window is the whole run);
//   --duration S     start requests for S seconds; statistics cover requests started after --warmup seconds
//                    and before S; streams/s and tokens/s count completions and tokens inside that window;
//   --hold           open --concurrency streams once and keep them open (for memory measurements): once
//                    every stream has produced a token (or failed) it prints "holding N streams" on stderr,
//                    then holds for --duration seconds (0: until SIGINT/SIGTERM), closes them and reports.
// SIGINT/SIGTERM stop any mode early: open streams are closed and what was measured is reported.
// --api-key KEY (or $QUORUM_LOAD_API_KEY) adds `Authorization: Bearer KEY` to every request (the relay
// wants one). --sdk-headers sends the other headers the openai JS SDK sends with every request (its
// User-Agent, `Accept: application/json`, the X-Stainless-* set): the head a real client's request has.
// Output: a human summary on stdout, or one JSON object with --json. Progress and errors go to stderr.
// Threading: one io_context on one thread (plus Asio's internal resolver thread).
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <list>
#include <map>
#include <string>
#include <vector>

#include "bench_common.h"
#include "core/cancel.h"
#include "net/http_client.h"
#include "wire/sse.h"

namespace quorum::bench {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using net::Task;
using Clock = std::chrono::steady_clock;

struct LoadConfig {
  std::string url;  // base URL, no trailing slash
  std::string model;
  int concurrency = 1;
  long requests = 0;
  double duration_s = 0;
  double warmup_s = 0;
  double ramp_s = 0;
  bool hold = false;
  bool json_output = false;
  std::string body;     // the request body, the same for every request
  std::string api_key;  // sent as `Authorization: Bearer KEY` when not empty
  bool sdk_headers = false;
};

struct Sample {
  double ttft_ms = -1;  // -1: no content token arrived
  double total_ms = 0;
  long tokens = 0;
};

// Everything the workers share (one thread: no locking).
struct LoadState {
  const LoadConfig& config;
  asio::io_context& io;
  Clock::time_point t0;
  Clock::time_point window_begin;
  Clock::time_point window_end;  // no request starts after this (duration mode)
  bool stopping = false;
  long started = 0;
  std::vector<Sample> samples;  // requests started inside the window that completed
  long completed_in_window = 0;
  long tokens_in_window = 0;
  long completed = 0;
  long errors = 0;
  std::map<std::string, long> error_messages;
  std::list<CancellerPtr> open;  // cancellers of requests in flight
  Clock::time_point last_completion;
  // Hold mode.
  int holding = 0;
  int hold_failed = 0;
  bool hold_announced = false;
  asio::steady_timer hold_timer;

  LoadState(const LoadConfig& c, asio::io_context& context) : config(c), io(context), hold_timer(context) {}

  bool in_window(Clock::time_point t) const { return t >= window_begin && t <= window_end; }

  void stop() {
    if (stopping) return;
    stopping = true;
    hold_timer.cancel();
    for (auto& c : open) c->cancel();
  }

  void error(std::string message) {
    ++errors;
    if (error_messages.size() < 20 || error_messages.count(message)) ++error_messages[message];
  }

  void check_hold_ready() {
    if (!config.hold || hold_announced || holding + hold_failed < config.concurrency) return;
    hold_announced = true;
    std::fprintf(stderr, "holding %d streams (%d failed)\n", holding, hold_failed);
    std::fflush(stderr);
    if (config.duration_s > 0) {
      hold_timer.expires_after(
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.duration_s)));
      hold_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) stop();
      });
    }
  }
};

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// What one SSE event of a chat stream is.
enum class EventKind { kContent, kOther, kError };

EventKind classify(std::string_view data, std::string& error) {
  unsigned char buffer[4096];
  json::monotonic_resource resource(buffer, sizeof(buffer));
  json::error_code ec;
  json::value v = json::parse(data, ec, json::storage_ptr(&resource));
  if (ec || !v.is_object()) {
    error = "an event is not a JSON object";
    return EventKind::kError;
  }
  const auto& o = v.get_object();
  if (auto e = o.find("error"); e != o.end() && !e->value().is_null()) {
    const json::value* message =
        e->value().is_object() ? e->value().get_object().if_contains("message") : nullptr;
    error = "in-band error: " + (message && message->is_string() ? std::string(message->get_string())
                                                                 : json::serialize(e->value()));
    return EventKind::kError;
  }
  const json::value* choices = o.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty()) return EventKind::kOther;
  const auto& first = choices->get_array()[0];
  if (!first.is_object()) return EventKind::kOther;
  const json::value* delta = first.get_object().if_contains("delta");
  if (!delta || !delta->is_object()) return EventKind::kOther;
  const json::value* content = delta->get_object().if_contains("content");
  if (content && content->is_string() && !content->get_string().empty()) return EventKind::kContent;
  return EventKind::kOther;
}

// One request, start to end. Records its outcome in `state`.
Task<void> one_request(LoadState& state) {
  const auto start = Clock::now();
  const bool counted = state.in_window(start);
  auto canceller = std::make_shared<Canceller>();
  auto handle = state.open.insert(state.open.end(), canceller);
  net::ClientOptions options;
  options.connect_timeout = std::chrono::seconds(10);
  options.head_timeout = std::chrono::seconds(60);
  options.read_idle_timeout = std::chrono::seconds(60);
  options.canceller = canceller;
  net::Headers headers;
  headers.add("Content-Type", "application/json");
  if (state.config.sdk_headers) {
    // As openai 6.x for Node sends them (its buildHeaders and detect-platform).
    headers.add("Accept", "application/json");
    headers.add("User-Agent", "OpenAI/JS 6.30.1");
    headers.add("X-Stainless-Lang", "js");
    headers.add("X-Stainless-Package-Version", "6.30.1");
    headers.add("X-Stainless-OS", "Linux");
    headers.add("X-Stainless-Arch", "x64");
    headers.add("X-Stainless-Runtime", "node");
    headers.add("X-Stainless-Runtime-Version", "v20.19.2");
    headers.add("X-Stainless-Retry-Count", "0");
    headers.add("X-Stainless-Timeout", "600");
  } else {
    headers.add("Accept", "text/event-stream");
  }
  if (!state.config.api_key.empty()) headers.add("Authorization", "Bearer " + state.config.api_key);

  Sample sample;
  std::string failure;
  bool done = false;
  bool first_token = false;
  auto response = co_await net::http_request("POST", state.config.url + "/v1/chat/completions", headers,
                                             state.config.body, options);
  if (!response) {
    failure = response.error().message;
  } else if ((*response)->status() != 200) {
    auto text = co_await (*response)->read_all(64 * 1024);
    failure = "HTTP " + std::to_string((*response)->status()) + ": " + (text ? text->substr(0, 200) : "");
  } else {
    wire::SseDecoder decoder;
    std::vector<wire::SseEvent> events;
    while (failure.empty()) {
      auto piece = co_await (*response)->read_some();
      if (!piece) {
        failure = piece.error().message;
        break;
      }
      if (piece->empty()) break;
      events.clear();
      decoder.feed(*piece, events);
      const auto now = Clock::now();
      for (const auto& e : events) {
        if (done) {
          failure = "an event after [DONE]";
          break;
        }
        if (wire::is_done_sentinel(e.data)) {
          done = true;
          continue;
        }
        EventKind kind = classify(e.data, failure);
        if (kind == EventKind::kError) break;
        if (kind != EventKind::kContent) continue;
        ++sample.tokens;
        if (state.in_window(now)) ++state.tokens_in_window;
        if (!first_token) {
          first_token = true;
          sample.ttft_ms = ms_between(start, now);
          if (state.config.hold) {
            ++state.holding;
            state.check_hold_ready();
          }
        }
      }
    }
    if (failure.empty() && !done) failure = "the stream ended without [DONE]";
  }
  const auto end = Clock::now();
  sample.total_ms = ms_between(start, end);
  state.open.erase(handle);
  if (state.config.hold && !first_token) {
    ++state.hold_failed;
    state.check_hold_ready();
  }
  if (state.stopping && canceller->cancelled()) {
    // Closed by us (end of a hold, or a signal): not an error. A held stream that had produced tokens counts.
    if (state.config.hold && first_token) {
      ++state.completed;
      state.samples.push_back(sample);
    }
    co_return;
  }
  if (!failure.empty()) {
    state.error(failure);
    co_return;
  }
  ++state.completed;
  state.last_completion = end;
  if (state.in_window(end)) ++state.completed_in_window;
  if (counted) state.samples.push_back(sample);
}

Task<void> worker(LoadState& state, int index) {
  auto executor = co_await asio::this_coro::executor;
  if (state.config.ramp_s > 0 && state.config.concurrency > 1) {
    asio::steady_timer timer(executor);
    timer.expires_after(std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(state.config.ramp_s * index / state.config.concurrency)));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  for (;;) {
    if (state.stopping) break;
    if (state.config.requests > 0 && state.started >= state.config.requests) break;
    if (state.config.duration_s > 0 && !state.config.hold && Clock::now() >= state.window_end) break;
    ++state.started;
    co_await one_request(state);
    if (state.config.hold) break;
  }
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

json::object summary(const std::vector<double>& values) {
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (double v : sorted) sum += v;
  auto round3 = [](double v) { return std::round(v * 1000.0) / 1000.0; };
  return json::object{{"p50", round3(percentile(sorted, 50))},
                      {"p90", round3(percentile(sorted, 90))},
                      {"p99", round3(percentile(sorted, 99))},
                      {"max", round3(sorted.empty() ? 0 : sorted.back())},
                      {"mean", round3(sorted.empty() ? 0 : sum / static_cast<double>(sorted.size()))},
                      {"count", sorted.size()}};
}

json::object report(const LoadState& state, Clock::time_point finished) {
  const auto& c = state.config;
  Clock::time_point end = state.window_end;
  if (c.duration_s <= 0 || c.hold) end = std::min(finished, state.window_end);
  if (c.requests > 0 && c.duration_s <= 0)
    end = state.last_completion > state.t0 ? state.last_completion : finished;
  double window_s = std::max(1e-9, std::chrono::duration<double>(end - state.window_begin).count());
  std::vector<double> ttft, total;
  long tokens = 0;
  for (const auto& s : state.samples) {
    if (s.ttft_ms >= 0) ttft.push_back(s.ttft_ms);
    total.push_back(s.total_ms);
    tokens += s.tokens;
  }
  json::object errors;
  for (const auto& [message, count] : state.error_messages) errors[message] = count;
  json::object out{
      {"url", c.url},
      {"concurrency", c.concurrency},
      {"mode", c.hold ? "hold" : (c.requests > 0 && c.duration_s <= 0 ? "requests" : "duration")},
      {"window_s", std::round(window_s * 1000.0) / 1000.0},
      {"started", state.started},
      {"completed", state.completed},
      {"errors", state.errors},
      {"measured_requests", state.samples.size()},
      {"streams_per_s", std::round(state.completed_in_window / window_s * 10.0) / 10.0},
      {"tokens_per_s", std::round(state.tokens_in_window / window_s * 10.0) / 10.0},
      {"tokens_per_stream",
       state.samples.empty() ? 0.0 : static_cast<double>(tokens) / static_cast<double>(state.samples.size())},
      {"ttft_ms", summary(ttft)},
      {"total_ms", summary(total)},
      {"error_messages", std::move(errors)}};
  if (c.hold) {
    out["held"] = state.holding;
    out["hold_failed"] = state.hold_failed;
  }
  return out;
}

void print_human(const json::object& r) {
  auto num = [&](const char* key) { return r.at(key).to_number<double>(); };
  const auto& ttft = r.at("ttft_ms").get_object();
  auto t = [&](const char* key) { return ttft.at(key).to_number<double>(); };
  std::printf("url %s  concurrency %d  mode %s  window %.2f s\n", r.at("url").get_string().c_str(),
              static_cast<int>(num("concurrency")), r.at("mode").get_string().c_str(), num("window_s"));
  std::printf("completed %.0f  errors %.0f  streams/s %.1f  tokens/s %.1f\n", num("completed"), num("errors"),
              num("streams_per_s"), num("tokens_per_s"));
  std::printf("TTFT ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  (n=%.0f)\n", t("p50"), t("p90"), t("p99"),
              t("max"), t("count"));
  if (r.contains("held")) {
    std::printf("held %.0f streams, %.0f failed to open\n", num("held"), num("hold_failed"));
  }
  for (const auto& kv : r.at("error_messages").get_object()) {
    std::printf("error x%lld: %s\n", static_cast<long long>(kv.value().to_number<double>()),
                std::string(kv.key()).c_str());
  }
}

int run(int argc, char** argv) {
  Flags flags("quorum-load", "drives streaming chat completions against an OpenAI-compatible endpoint");
  flags.value("url", "http://127.0.0.1:32768",
              "base URL (http://HOST:PORT); /v1/chat/completions is appended");
  flags.value("model", "bench-model", "model id to ask for");
  flags.value("concurrency", "10", "streams in flight at any time");
  flags.value("requests", "0", "total requests (0: use --duration)");
  flags.value("duration", "0", "seconds to keep starting requests (or, with --hold, to hold the streams)");
  flags.value("warmup", "0", "seconds at the start of --duration that statistics ignore");
  flags.value("ramp", "0", "seconds over which the workers start (spreads the first connections)");
  flags.value("max-tokens", "0", "max_tokens to ask for (0: leave out)");
  flags.value("prompt", "Write a short sentence about foxes.", "the user message");
  flags.value("api-key", "", "API key sent as `Authorization: Bearer KEY` (default: $QUORUM_LOAD_API_KEY)");
  flags.boolean("include-usage", "ask for stream_options.include_usage");
  flags.boolean("sdk-headers", "send the headers the openai JS SDK sends (User-Agent, X-Stainless-*)");
  flags.boolean("hold", "open --concurrency streams once and hold them open");
  flags.boolean("json", "print the report as one JSON object");
  flags.parse(argc, argv);

  LoadConfig config;
  config.url = flags.str("url");
  while (!config.url.empty() && config.url.back() == '/') config.url.pop_back();
  if (config.url.size() >= 3 && config.url.compare(config.url.size() - 3, 3, "/v1") == 0)
    config.url.resize(config.url.size() - 3);
  config.model = flags.str("model");
  config.concurrency = static_cast<int>(flags.num("concurrency", 1, 1e6));
  config.requests = static_cast<long>(flags.num("requests", 0, 1e12));
  config.duration_s = flags.num("duration", 0, 1e6);
  config.warmup_s = flags.num("warmup", 0, 1e6);
  config.ramp_s = flags.num("ramp", 0, 1e6);
  config.hold = flags.on("hold");
  config.json_output = flags.on("json");
  config.api_key = flags.str("api-key");
  config.sdk_headers = flags.on("sdk-headers");
  if (const char* env = std::getenv("QUORUM_LOAD_API_KEY"); config.api_key.empty() && env)
    config.api_key = env;
  if (!config.hold && config.requests == 0 && config.duration_s == 0)
    flags.fail("give --requests or --duration");
  if (!config.hold && config.duration_s > 0 && config.warmup_s >= config.duration_s) {
    flags.fail("--warmup must be shorter than --duration");
  }
  json::object body{
      {"model", config.model},
      {"messages", json::array{json::object{{"role", "user"}, {"content", flags.str("prompt")}}}},
      {"stream", true}};
  if (flags.on("include-usage")) body["stream_options"] = json::object{{"include_usage", true}};
  if (int max_tokens = static_cast<int>(flags.num("max-tokens", 0, 1e9)); max_tokens > 0) {
    body["max_tokens"] = max_tokens;
  }
  config.body = json::serialize(body);

  rlim_t files = raise_open_file_limit();
  if (files < static_cast<rlim_t>(config.concurrency) + 64) {
    std::fprintf(stderr, "quorum-load: only %lu open files allowed for %d streams\n",
                 static_cast<unsigned long>(files), config.concurrency);
    return 2;
  }

  asio::io_context io(1);
  LoadState state(config, io);
  state.t0 = Clock::now();
  state.window_begin = state.t0;
  state.window_end = Clock::time_point::max();
  if (!config.hold && config.duration_s > 0) {
    auto at = [&](double s) {
      return state.t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
    };
    state.window_begin = at(config.warmup_s);
    state.window_end = at(config.duration_s);
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) state.stop();
  });
  int running = config.concurrency;
  for (int i = 0; i < config.concurrency; ++i) {
    asio::co_spawn(io, worker(state, i), [&](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          state.error(std::string("worker failed: ") + ex.what());
        }
      }
      if (--running == 0) {
        signals.cancel();
        state.hold_timer.cancel();
      }
    });
  }
  io.run();
  json::object r = report(state, Clock::now());
  if (config.json_output) {
    std::printf("%s\n", json::serialize(r).c_str());
  } else {
    print_human(r);
  }
  return state.errors > 0 && state.completed == 0 ? 1 : 0;
}

}  // namespace
}  // namespace quorum::bench

int main(int argc, char** argv) {
  return quorum::bench::run(argc, argv);
}
