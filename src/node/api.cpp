#include "node/api.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/pct_string_view.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <unordered_map>

#include "cluster/scheduler.h"
#include "core/log.h"
#include "net/handoff.h"
#include "wire/sse.h"
#include "wire/stream_writer.h"

namespace quorum::node {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

namespace {

std::string random_token(size_t length) {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string s(length, '0');
  for (auto& c : s) c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return s;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

net::Headers json_headers(const std::string& request_id) {
  net::Headers h;
  h.add("Content-Type", "application/json");
  if (!request_id.empty()) h.add("x-request-id", request_id);
  return h;
}

net::Task<void> send_json(net::ResponseWriter& w, int status, const json::value& body,
                          const std::string& request_id, const net::Headers* extra = nullptr) {
  net::Headers h = json_headers(request_id);
  if (extra) {
    for (const auto& item : extra->items()) h.add(item.first, item.second);
  }
  co_await w.send(status, h, json::serialize(body));
}

net::Task<void> send_error(net::ResponseWriter& w, const ApiError& e, const std::string& request_id) {
  net::Headers h = json_headers(request_id);
  if (e.status == 429 || e.status == 503) h.add("Retry-After", "1");
  // A deterministic server failure should not be retried by the SDKs (they retry >=500 twice by default).
  if (e.status == 500 || e.status == 502) h.add("x-should-retry", "false");
  co_await w.send(e.status, h, wire::error_body(e));
}

ApiError model_not_found(const std::string& model) {
  return ApiError::not_found(
      "The model '" + model +
          "' does not exist on this node. List the available models with GET /v1/models "
          "(or `quorum models`).",
      "model", "model_not_found");
}

// No engine that is up has the model: 503 naming the engines that had it and stopped answering, else 404.
ApiError unavailable_or_not_found(const engines::EngineRegistry& registry, const std::string& model) {
  auto offline = registry.offline_holders(model);
  if (offline.empty()) return model_not_found(model);
  std::string names;
  for (const auto& e : offline) {
    names += (names.empty() ? "" : "; ") + ("engine '" + e.name + "' at " + e.location);
    if (!e.last_error.empty()) names += " (" + e.last_error + ")";
  }
  return ApiError::server(503,
                          "The model '" + model + "' is served by " + names + ", which is not answering.");
}

// How many generations this node serves well at once: --capacity, or from its engines (the embedded engine
// runs --model-slots at once; an external engine is taken to serve 4 well, llama-server's default).
int local_capacity(const NodeConfig& config, const engines::EngineRegistry& registry) {
  if (config.cluster.capacity > 0) return config.cluster.capacity;
  return registry.capacity();
}

// Nobody that answers holds `model`: 503 naming the peers (when the request may go to peers) or local engines
// that held it and stopped answering, else 404.
ApiError no_holder_error(const engines::EngineRegistry& registry, const ClusterNode* cluster,
                         const std::string& model, bool allow_peers) {
  if (cluster && allow_peers) {
    auto nodes = cluster->registry().unreachable_holders(model);
    if (!nodes.empty()) {
      std::string names;
      for (const auto& n : nodes) names += (names.empty() ? "node '" : ", node '") + n + "'";
      return ApiError::server(503,
                              "The model '" + model + "' is held by " + names + ", which is not answering.");
    }
  }
  return unavailable_or_not_found(registry, model);
}

// Base64 of the little-endian float32 bytes of a JSON number array (what the SDKs decode).
std::string floats_to_base64(const json::array& values) {
  std::string bytes;
  bytes.reserve(values.size() * 4);
  for (const auto& v : values) {
    float f = v.is_double()   ? static_cast<float>(v.get_double())
              : v.is_int64()  ? static_cast<float>(v.get_int64())
              : v.is_uint64() ? static_cast<float>(v.get_uint64())
                              : 0.0f;
    char b[4];
    std::memcpy(b, &f, 4);  // x86-64 and aarch64 are little-endian
    bytes.append(b, 4);
  }
  static constexpr char kTable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += kTable[(n >> 6) & 63];
    out += kTable[n & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += kTable[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

// True when an Origin header names a page outside this machine: browsers on other sites must not drive the
// trusted loopback API.
bool foreign_origin(std::string_view origin) {
  if (origin.empty() || origin == "null") return false;
  for (std::string_view local : {"http://localhost", "https://localhost", "http://127.0.0.1",
                                 "https://127.0.0.1", "http://[::1]", "https://[::1]"}) {
    if (origin.substr(0, local.size()) == local &&
        (origin.size() == local.size() || origin[local.size()] == ':' || origin[local.size()] == '/')) {
      return false;
    }
  }
  return true;
}

// ---- The generation pipeline ----
//
// A pump coroutine talks to the engine (trying the next holder when one fails before producing anything) and
// feeds a bounded queue; the connection's coroutine drains the queue into the client, sending keep-alive
// comments while nothing arrives, and watches for the client leaving, which cancels the pump's engine call.

struct Item {
  enum Kind { kEvent, kError, kEnd } kind = kEnd;
  wire::StreamEvent event;
  ApiError error;
};

using Queue = net::Handoff<Item>;

// One way to serve a request: an engine of this node, or a peer node (through its signed OpenAI client).
struct Route {
  std::shared_ptr<engines::Backend> backend;
  std::string model;  // the id the engine knows it by
  bool local = true;
  std::string node_id;  // the node that serves it
  std::string node_name;
  // What the client is told about who was tried, e.g. "engine 'ollama' on this node" or "node 'c'".
  std::string label() const {
    return local ? "engine '" + backend->name() + "' on this node" : "node '" + node_name + "'";
  }
};

struct PumpState {
  std::string engine;   // for logs and metrics: the engine (or "peer:NAME") that served or was tried last
  std::string node_id;  // the node that served or was tried last
  std::string node_name;
};

// Where the pump reports load: this node's own in-flight count, and the requests it has in flight to peers.
struct LoadTracker {
  std::atomic<int>* local_in_flight = nullptr;
  ClusterNode* cluster = nullptr;
  void add(const Route& route, int delta) const {
    if (route.local) {
      if (local_in_flight) *local_in_flight += delta;
    } else if (cluster) {
      cluster->registry().forwarding(route.node_id, delta);
    }
  }
};

// One try on one route. Its canceller stops this try only: when the client leaves (the request's canceller
// passes it on) or when the peer serving it stops answering heartbeats (`peer_lost` is then set).
struct Attempt {
  CancellerPtr canceller = std::make_shared<Canceller>();
  std::shared_ptr<bool> peer_lost = std::make_shared<bool>(false);
  Subscription watch;

  Attempt(const Route& route, const CancellerPtr& request, ClusterNode* cluster,
          const boost::asio::any_io_executor& executor) {
    request->on_cancel([c = canceller] { c->cancel(); });
    if (!route.local && cluster) {
      watch = cluster->watch_peer(route.node_id, executor,
                                  [c = std::weak_ptr<Canceller>(canceller), lost = peer_lost] {
                                    *lost = true;
                                    if (auto live = c.lock()) live->cancel();
                                  });
    }
  }
  Attempt(const Attempt&) = delete;
  Attempt& operator=(const Attempt&) = delete;
  // The error to report when the peer was lost (whatever the cancelled connection said).
  ApiError lost_error(const Route& route) const {
    return ApiError::server(502,
                            route.label() + " stopped answering (its heartbeats failed) during the request.");
  }
};

// Whether a failure before the first byte is worth another holder: the server's failures and "busy" are; a
// peer's "no such model" is too (its model list changed since its last heartbeat). The client's own mistakes
// and its leaving are not.
bool worth_another_holder(const ApiError& e, const Route& route) {
  if (e.status == 499) return false;
  if (e.status >= 500 || e.status == 429 || e.status == 404) return true;
  return !route.local && (e.status == 401 || e.status == 408);
}

// The holders of `model`, in the order to try them (ARCHITECTURE.md "Routing"): this node's engines and,
// unless the request was forwarded to us (`allow_peers` false), the reachable peers that hold it. With no
// peer among them, the engine registry's order (warm first) is already the schedule's, and this node's
// capacity (which walks every engine) is not needed.
std::vector<Route> plan_routes(const NodeConfig& config, const engines::EngineRegistry& registry,
                               ClusterNode* cluster, const cluster::NodeIdentity& self, int local_in_flight,
                               const std::string& model, bool allow_peers) {
  auto local = registry.holders(model);
  std::vector<cluster::PeerHolder> peers;
  if (cluster && allow_peers) peers = cluster->registry().holders(model);
  std::vector<Route> routes;
  routes.reserve(local.size() + peers.size());
  for (auto& h : local) routes.push_back(Route{std::move(h.backend), h.model.id, true, self.id, self.name});
  if (peers.empty()) return routes;

  const int capacity = local_capacity(config, registry);
  std::vector<cluster::RouteCandidate> candidates;
  candidates.reserve(routes.size() + peers.size());
  for (const auto& h : local) candidates.push_back({true, h.model.loaded, local_in_flight, capacity});
  for (const auto& p : peers) {
    auto backend = cluster->peer_backend(p.id);
    if (!backend) continue;  // no path to it (it went while the plan was made)
    candidates.push_back({false, p.loaded, p.in_flight, p.capacity});
    routes.push_back(Route{std::move(backend), model, false, p.id, p.name});
  }
  std::vector<Route> ordered;
  ordered.reserve(routes.size());
  for (size_t i : cluster::schedule(candidates)) ordered.push_back(std::move(routes[i]));
  return ordered;
}

// plan_routes; when nothing holds the model, the engines' model lists are refreshed once (a model file just
// added, an engine just started) and the plan made again. Empty: answer with no_holder_error().
net::Task<std::vector<Route>> find_routes(const NodeConfig& config, engines::EngineRegistry& registry,
                                          ClusterNode* cluster, const cluster::NodeIdentity& self,
                                          const std::atomic<int>& in_flight, std::string model,
                                          bool allow_peers) {
  auto routes = plan_routes(config, registry, cluster, self, in_flight.load(), model, allow_peers);
  if (routes.empty()) {
    co_await registry.refresh_if_older(std::chrono::milliseconds(1000));
    routes = plan_routes(config, registry, cluster, self, in_flight.load(), model, allow_peers);
  }
  co_return routes;
}

// Starts the generation on one route. The copy of the request made for it lives only in this (short) frame,
// not for the whole stream.
net::Task<Result<std::unique_ptr<engines::EventStream>>> start_on(const Route& route,
                                                                  const wire::GenerationRequest& request,
                                                                  const engines::CallContext& context) {
  wire::GenerationRequest upstream = request;
  upstream.model = route.model;
  co_return co_await route.backend->generate(upstream, context);
}

// Appends who was tried to a final error, so that a 503 says what was attempted.
// When every holder failed: 503 saying which were tried and why (one local engine's own error is clear enough
// alone and is left as it is).
void name_tried(ApiError& error, const std::vector<std::string>& tried, bool any_peer,
                const std::string& model) {
  if (error.status < 500 || tried.empty() || (tried.size() == 1 && !any_peer)) return;
  std::string names;
  for (std::string_view n : tried) {
    while (!n.empty() && n.back() == '.') n.remove_suffix(1);
    names += (names.empty() ? "" : "; ") + std::string(n);
  }
  error =
      ApiError::server(503, "No holder of the model '" + model + "' could serve it. Tried " + names + ".");
}

// Tries the routes in order: at most `max_tries` of them, then (as a last resort) any local engine not yet
// tried. A failure before the first event moves on to the next route; after it, the failure goes to the
// client in-band.
net::Task<void> pump(std::vector<Route> routes, std::shared_ptr<const wire::GenerationRequest> shared_request,
                     engines::CallContext context, int max_tries, std::shared_ptr<Queue> queue,
                     std::shared_ptr<PumpState> state, Metrics& metrics, LoadTracker load) {
  const wire::GenerationRequest& request = *shared_request;
  auto executor = co_await asio::this_coro::executor;
  ApiError last_error = ApiError::server(503, "No engine could serve the model '" + request.model + "'.");
  std::vector<std::string> tried;
  int tries = 0;
  bool final_error = false;  // the last error is the client's to see as it is (not "every holder failed")
  const bool any_peer = std::any_of(routes.begin(), routes.end(), [](const Route& r) { return !r.local; });
  for (auto& route : routes) {
    if (context.canceller->cancelled() || queue->closed()) break;
    if (tries >= max_tries && !route.local) continue;
    if (!route.local && load.cluster && !load.cluster->registry().is_reachable(route.node_id)) {
      // Turned unreachable since the plan was made (an earlier holder took a while to fail).
      last_error = ApiError::server(503, route.label() + " is not answering.");
      tried.push_back(route.label() + ": not answering");
      continue;
    }
    ++tries;
    state->engine = route.local ? route.backend->name() : "peer:" + route.node_name;
    state->node_id = route.node_id;
    state->node_name = route.node_name;
    load.add(route, +1);
    Attempt attempt(route, context.canceller, load.cluster, executor);
    engines::CallContext attempt_context{context.request_id, attempt.canceller};
    auto started = co_await start_on(route, request, attempt_context);
    if (!started) {
      load.add(route, -1);
      last_error = *attempt.peer_lost ? attempt.lost_error(route) : started.take_error();
      tried.push_back(route.label() + ": " + last_error.message);
      if (!worth_another_holder(last_error, route)) {
        final_error = true;
        break;
      }
      log::warn(route.label() + " failed before the first token: " + last_error.message);
      continue;
    }
    auto stream = std::move(started.value());
    metrics.in_flight(state->engine, request.model, +1);
    bool forwarded = false;
    bool retry = false;
    bool consumer_gone = false;
    for (;;) {
      auto event = co_await stream->next();
      if (!event) break;
      if (*attempt.peer_lost && std::holds_alternative<wire::StreamError>(*event)) {
        event = wire::StreamEvent{wire::StreamError{attempt.lost_error(route)}};
      }
      if (!forwarded && std::holds_alternative<wire::StreamError>(*event) &&
          !context.canceller->cancelled()) {
        // Failed before producing anything: another holder may do better.
        last_error = std::get<wire::StreamError>(*event).error;
        tried.push_back(route.label() + ": " + last_error.message);
        retry = worth_another_holder(last_error, route);
        if (!retry) {
          Item item{Item::kError, {}, last_error};
          co_await queue->push(std::move(item));
          consumer_gone = true;  // nothing more to send
        }
        break;
      }
      forwarded = true;
      // Named, not a temporary inside the co_await: g++ 12 mishandles such temporaries.
      Item item{Item::kEvent, std::move(*event), {}};
      if (!co_await queue->push(std::move(item))) {
        consumer_gone = true;
        break;
      }
    }
    metrics.in_flight(state->engine, request.model, -1);
    load.add(route, -1);
    if (consumer_gone) {
      stream->cancel();
      co_return;
    }
    if (retry) {
      log::warn(route.label() + " failed before the first token: " + last_error.message);
      continue;
    }
    Item end{Item::kEnd, {}, {}};
    co_await queue->push(std::move(end));
    co_await stream->finish();  // after the client has everything
    co_return;
  }
  if (!final_error) name_tried(last_error, tried, any_peer, request.model);
  Item failure{Item::kError, {}, std::move(last_error)};
  co_await queue->push(std::move(failure));
}

// Response headers naming the node that served (for streams: the one serving when the head was sent).
void add_served_by(net::Headers& h, const PumpState& served) {
  if (served.node_id.empty()) return;
  h.add("x-quorum-node", served.node_name);
  h.add("x-quorum-node-id", served.node_id);
}

struct Outcome {
  int status = 200;
  std::string error_type;
  bool first_token = false;
  double ttft = 0;
  wire::Usage usage;
};

// Drains the queue into the client until the generation ends, fails, or the awaiting operation is cancelled
// (the client left). Everything already queued goes out in one write.
net::Task<Outcome> consume(const NodeConfig& config, net::ResponseWriter& w, Queue& queue,
                           const wire::GenerationRequest& request, const wire::StreamIdentity& identity,
                           const std::string& request_id, Clock::time_point start, const PumpState& served) {
  Outcome outcome;
  wire::StreamWriter writer(identity);
  wire::ResponseAggregator aggregator(identity);
  bool head_sent = false;
  std::string out;
  auto last_write = Clock::now();

  auto begin = [&]() -> net::Task<bool> {
    if (head_sent) co_return true;
    head_sent = true;
    net::Headers h;
    h.add("Content-Type", "text/event-stream");
    h.add("Cache-Control", "no-cache");
    h.add("X-Accel-Buffering", "no");
    h.add("x-request-id", request_id);
    add_served_by(h, served);
    co_return co_await w.begin_stream(200, h);
  };

  for (;;) {
    co_await queue.wait_until(last_write + config.keepalive_interval);
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
      co_return outcome;
    }
    if (queue.empty()) {
      if (Clock::now() < last_write + config.keepalive_interval) continue;
      if (request.stream) {
        if (!co_await begin()) co_return outcome;
        if (!co_await w.write(wire::sse_comment("keep-alive"))) co_return outcome;
      }
      last_write = Clock::now();
      continue;
    }

    // What ends the response, if it ends in this turn.
    std::optional<ApiError> failure;
    bool finished = false;
    while (!failure && !finished) {
      auto item = queue.pop();
      if (!item) break;
      if (item->kind == Item::kError) {
        failure = std::move(item->error);
      } else if (item->kind == Item::kEnd) {
        finished = true;
      } else if (auto* e = std::get_if<wire::StreamError>(&item->event)) {
        failure = std::move(e->error);
      } else {
        if (!outcome.first_token && !std::holds_alternative<wire::Usage>(item->event)) {
          outcome.first_token = true;
          outcome.ttft = seconds_since(start);
        }
        if (request.stream) {
          writer.on_event(item->event, out);
        } else {
          aggregator.on_event(item->event);
        }
      }
    }

    if (failure) {
      outcome.error_type = failure->type;
      if (!request.stream || (!head_sent && out.empty())) {
        // Nothing has reached the client yet: the error is the response, with its own status.
        outcome.status = failure->status;
        co_await send_error(w, *failure, request_id);
        co_return outcome;
      }
      writer.fail(*failure, out);  // after the first byte: in-band, then [DONE]
      if (co_await begin()) co_await w.end_stream(out);
      co_return outcome;
    }
    if (!request.stream) {
      if (finished) {
        outcome.usage = aggregator.usage();
        net::Headers extra;
        add_served_by(extra, served);
        co_await send_json(w, 200, aggregator.result(), request_id, &extra);
        co_return outcome;
      }
      continue;
    }
    if (finished) {
      writer.finish(out);
      outcome.usage = writer.usage();
      if (co_await begin()) co_await w.end_stream(out);  // the last events and the end, in one write
      co_return outcome;
    }
    if (!out.empty()) {
      if (!co_await begin()) co_return outcome;
      bool ok = co_await w.write(out);
      out.clear();
      if (!ok) co_return outcome;
      last_write = Clock::now();
    }
  }
}

}  // namespace

Api::Api(const NodeConfig& config, engines::EngineRegistry& registry, Metrics& metrics,
         cluster::NodeIdentity self)
    : config_(config), registry_(registry), metrics_(metrics), self_(std::move(self)) {}

cluster::NodeStatus Api::local_status() const {
  cluster::NodeStatus s;
  s.id = self_.id;
  s.name = self_.name;
  s.version = QUORUM_VERSION;
  s.port = self_port_;
  for (const auto& m : registry_.models()) {
    s.models.push_back(cluster::ModelState{m.info.id, m.info.loaded, m.info.created, m.info.owned_by});
  }
  for (const auto& e : registry_.status()) {
    if (e.up) s.engines.push_back(e.name);
  }
  s.capacity = local_capacity(config_, registry_);
  s.in_flight = in_flight_.load();
  return s;
}

namespace {

// An error answer that owns what it sends (the caller's locals may be gone when it runs).
net::Task<void> reply_error(net::ResponseWriter& w, ApiError e, std::string request_id) {
  co_await send_error(w, e, request_id);
}

net::Task<void> reply_text(net::ResponseWriter& w, std::string content_type, std::string body) {
  net::Headers h;
  h.add("Content-Type", content_type);
  co_await w.send(200, h, std::move(body));
}

}  // namespace

net::Task<void> Api::handle(net::HttpRequest& req, net::ResponseWriter& w) {
  std::string request_id = "req_" + random_token(24);
  std::string path = req.target.substr(0, req.target.find('?'));

  if (req.arrival != net::Arrival::kLoopback) {
    cluster::PeerProof proof{
        std::string(req.headers.get("X-Quorum-Node")), std::string(req.headers.get("X-Quorum-To")),
        std::string(req.headers.get("X-Quorum-Time")), std::string(req.headers.get("X-Quorum-Nonce")),
        std::string(req.headers.get("X-Quorum-Proof"))};
    const bool claims_peer = !proof.proof.empty();
    if (!cluster_ || !claims_peer) {
      ApiError e{401, "invalid_request_error",
                 "Requests from other machines must authenticate; this node accepts unauthenticated requests "
                 "only from loopback.",
                 std::nullopt, std::string("invalid_api_key")};
      return reply_error(w, std::move(e), std::move(request_id));
    }
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    auto verified = peer_verifier_.verify(cluster_->membership().secret, self_.id, proof, req.method,
                                          req.target, req.body, now_ms);
    if (!verified) {
      log::warn("refused a peer request from " + req.remote_address + ": " + verified.error().message);
      return reply_error(w, verified.take_error(), std::move(request_id));
    }
  }
  if (foreign_origin(req.headers.get("Origin"))) {
    ApiError e{403, "invalid_request_error", "Requests from web pages of other origins are not allowed.",
               std::nullopt, std::string("forbidden_origin")};
    return reply_error(w, std::move(e), std::move(request_id));
  }

  // Accept paths with and without the /v1 prefix, as llama.cpp does: users configure base URLs both ways.
  std::string route = path;
  if (route.rfind("/v1/", 0) == 0) route = route.substr(3);
  const bool post = req.method == "POST";
  const bool get = req.method == "GET" || req.method == "HEAD";

  auto wrong_method = [&](const char* allowed) {
    ApiError e{405, "invalid_request_error",
               "Method " + req.method + " is not allowed for " + path + "; use " + allowed + ".",
               std::nullopt, std::nullopt};
    return reply_error(w, std::move(e), std::move(request_id));
  };

  if (route == "/chat/completions") {
    if (!post) return wrong_method("POST");
    return generate(req, w, wire::GenerationKind::kChat, std::move(request_id));
  }
  if (route == "/completions") {
    if (!post) return wrong_method("POST");
    return generate(req, w, wire::GenerationKind::kCompletion, std::move(request_id));
  }
  if (route == "/embeddings") {
    if (!post) return wrong_method("POST");
    return embeddings(req, w, std::move(request_id));
  }
  if (route == "/models") {
    if (!get) return wrong_method("GET");
    return list_models(w, std::move(request_id));
  }
  if (route.rfind("/models/", 0) == 0) {
    if (!get) return wrong_method("GET");
    std::string encoded_id = route.substr(8);  // the view below must not outlive it
    auto pct = boost::urls::make_pct_string_view(encoded_id);
    if (!pct) {
      return reply_error(w,
                         ApiError::invalid_request("The model id in the path is not valid percent-encoding."),
                         std::move(request_id));
    }
    return get_model(pct->decode(), w, std::move(request_id));
  }
  if (route == "/cluster/nodes") {
    if (!get) return wrong_method("GET");
    return cluster_nodes(w);
  }
  if (route == "/cluster/heartbeat") {
    if (!post) return wrong_method("POST");
    return heartbeat(req, w, std::move(request_id));
  }
  if (path == "/health") return health(w);
  if (path == "/metrics") {
    return reply_text(w, "text/plain; version=0.0.4; charset=utf-8", metrics_.render() + cluster_metrics());
  }
  ApiError e =
      ApiError::not_found("Unknown request URL: " + req.method + " " + path +
                              ". This node serves /v1/chat/completions, /v1/completions, /v1/embeddings "
                              "and /v1/models.",
                          std::nullopt, std::string("unknown_url"));
  return reply_error(w, std::move(e), std::move(request_id));
}

net::Task<void> Api::generate(net::HttpRequest& req, net::ResponseWriter& w, wire::GenerationKind kind,
                              std::string request_id) {
  auto start = Clock::now();
  const char* endpoint = kind == wire::GenerationKind::kChat ? "chat" : "completions";
  auto parsed = kind == wire::GenerationKind::kChat ? wire::parse_chat_request(req.body)
                                                    : wire::parse_completion_request(req.body);
  auto log_line = [&](const std::string& model, const std::string& engine, int status, const Outcome* o) {
    char buf[256];
    std::snprintf(buf, sizeof(buf), " status=%d ttft_ms=%s tokens=%lld duration_ms=%.1f id=%s", status,
                  o && o->first_token ? std::to_string(static_cast<int64_t>(o->ttft * 1000)).c_str() : "-",
                  o ? static_cast<long long>(o->usage.completion_tokens) : 0LL, seconds_since(start) * 1000,
                  request_id.c_str());
    log::info(req.method + " " + req.target + " model=" + (model.empty() ? "-" : model) +
              " engine=" + (engine.empty() ? "-" : engine) + buf);
  };
  if (!parsed) {
    metrics_.request_done(endpoint, "", "", parsed.error().status, seconds_since(start));
    metrics_.error(endpoint, "", "", parsed.error().type);
    log_line("", "", parsed.error().status, nullptr);
    co_await send_error(w, parsed.error(), request_id);
    co_return;
  }
  // One copy of the request for the whole stream, shared with the pump; the raw body is not needed again.
  auto shared_request = std::make_shared<const wire::GenerationRequest>(std::move(parsed.value()));
  const wire::GenerationRequest& request = *shared_request;
  std::string().swap(req.body);
  const bool allow_peers = !req.headers.has(kHopHeader);
  auto routes =
      co_await find_routes(config_, registry_, cluster_, self_, in_flight_, request.model, allow_peers);
  if (routes.empty()) {
    ApiError e = no_holder_error(registry_, cluster_, request.model, allow_peers);
    metrics_.request_done(endpoint, "", request.model, e.status, seconds_since(start));
    metrics_.error(endpoint, "", request.model, e.type);
    log_line(request.model, "", e.status, nullptr);
    co_await send_error(w, e, request_id);
    co_return;
  }

  auto executor = co_await asio::this_coro::executor;
  engines::CallContext context{request_id, std::make_shared<Canceller>()};
  auto queue = std::make_shared<Queue>(executor, 64);
  auto state = std::make_shared<PumpState>();
  LoadTracker load{&in_flight_, cluster_};
  asio::co_spawn(
      executor,
      pump(std::move(routes), shared_request, context, config_.max_retries, queue, state, metrics_, load),
      asio::detached);

  wire::StreamIdentity identity;
  identity.id = (kind == wire::GenerationKind::kChat ? "chatcmpl-" : "cmpl-") + random_token(24);
  identity.created = unix_now();
  identity.model = request.model;
  identity.kind = kind;
  identity.include_usage = request.include_usage;
  identity.reasoning_field = config_.reasoning_field;

  auto result = co_await (consume(config_, w, *queue, request, identity, request_id, start, *state) ||
                          w.wait_client_gone());
  Outcome outcome;
  if (result.index() == 0) {
    outcome = std::get<0>(result);
  } else {
    outcome.status = 499;  // nginx's "client closed request"
  }
  if (w.client_gone()) {
    outcome.status = 499;
    context.canceller->cancel();
  }
  queue->close();

  metrics_.request_done(endpoint, state->engine, request.model, outcome.status, seconds_since(start));
  if (!outcome.error_type.empty()) metrics_.error(endpoint, state->engine, request.model, outcome.error_type);
  if (outcome.first_token) metrics_.time_to_first_token(state->engine, request.model, outcome.ttft);
  metrics_.tokens(state->engine, request.model, outcome.usage.prompt_tokens, outcome.usage.completion_tokens);
  log_line(request.model, state->engine, outcome.status, &outcome);
}

net::Task<void> Api::embeddings(net::HttpRequest& req, net::ResponseWriter& w, std::string request_id) {
  auto start = Clock::now();
  auto parsed = wire::parse_embedding_request(req.body);
  if (!parsed) {
    metrics_.request_done("embeddings", "", "", parsed.error().status, seconds_since(start));
    co_await send_error(w, parsed.error(), request_id);
    co_return;
  }
  auto& request = parsed.value();
  const bool allow_peers = !req.headers.has(kHopHeader);
  auto routes =
      co_await find_routes(config_, registry_, cluster_, self_, in_flight_, request.model, allow_peers);
  if (routes.empty()) {
    ApiError e = no_holder_error(registry_, cluster_, request.model, allow_peers);
    metrics_.request_done("embeddings", "", request.model, e.status, seconds_since(start));
    co_await send_error(w, e, request_id);
    co_return;
  }
  engines::CallContext context{request_id, std::make_shared<Canceller>()};
  ApiError last = ApiError::server(503, "No engine could compute embeddings.");
  std::vector<std::string> tried;
  bool final_error = false;
  const bool any_peer = std::any_of(routes.begin(), routes.end(), [](const Route& r) { return !r.local; });
  int tries = 0;
  for (auto& route : routes) {
    if (tries >= config_.max_retries && !route.local) continue;
    ++tries;
    wire::EmbeddingRequest upstream = request;
    upstream.body["model"] = route.model;
    upstream.model = route.model;
    auto result = co_await route.backend->embed(upstream, context);
    if (!result) {
      last = result.take_error();
      tried.push_back(route.label() + ": " + last.message);
      if (!worth_another_holder(last, route)) {
        final_error = true;
        break;
      }
      continue;
    }
    json::object response = std::move(result.value());
    response["model"] = request.model;
    if (auto data = response.find("data"); data != response.end() && data->value().is_array()) {
      for (auto& item : data->value().get_array()) {
        if (!item.is_object()) continue;
        auto& emb = item.get_object();
        if (auto e = emb.find("embedding"); request.base64 && e != emb.end() && e->value().is_array()) {
          e->value() = floats_to_base64(e->value().get_array());
        }
      }
    }
    int64_t prompt = 0;
    if (auto u = response.find("usage"); u != response.end() && u->value().is_object()) {
      if (auto p = u->value().get_object().find("prompt_tokens");
          p != u->value().get_object().end() && p->value().is_int64()) {
        prompt = p->value().get_int64();
      }
    }
    const std::string engine = route.local ? route.backend->name() : "peer:" + route.node_name;
    metrics_.tokens(engine, request.model, prompt, 0);
    metrics_.request_done("embeddings", engine, request.model, 200, seconds_since(start));
    PumpState served{engine, route.node_id, route.node_name};
    net::Headers extra;
    add_served_by(extra, served);
    co_await send_json(w, 200, response, request_id, &extra);
    co_return;
  }
  if (!final_error) name_tried(last, tried, any_peer, request.model);
  metrics_.request_done("embeddings", "", request.model, last.status, seconds_since(start));
  metrics_.error("embeddings", "", request.model, last.type);
  co_await send_error(w, last, request_id);
}

namespace {

// One model of the cluster as /v1/models lists it: the union over this node's engines and the reachable
// peers.
struct ClusterModel {
  std::string id;
  int64_t created = 0;
  std::string owned_by;
  bool loaded = false;
  std::vector<std::string> engines;  // this node's engines that offer it
  json::array nodes;                 // [{id, name, loaded}]
};

std::vector<ClusterModel> cluster_models(const engines::EngineRegistry& registry, const ClusterNode* cluster,
                                         const cluster::NodeIdentity& self) {
  std::vector<ClusterModel> out;
  std::unordered_map<std::string, size_t> index;  // a peer may list thousands of models
  auto entry = [&](const std::string& id) -> ClusterModel& {
    auto [it, added] = index.emplace(id, out.size());
    if (added) out.push_back(ClusterModel{id});
    return out[it->second];
  };
  auto merge = [](ClusterModel& m, int64_t created, const std::string& owned_by, bool loaded) {
    if (created && (!m.created || created < m.created)) m.created = created;
    if (m.owned_by.empty()) m.owned_by = owned_by;
    m.loaded = m.loaded || loaded;
  };
  for (const auto& l : registry.models()) {
    auto& m = entry(l.info.id);
    merge(m, l.info.created, l.info.owned_by, l.info.loaded);
    m.engines = l.engines;
    m.nodes.push_back(json::object{{"id", self.id}, {"name", self.name}, {"loaded", l.info.loaded}});
  }
  if (cluster) {
    for (const auto& peer : cluster->registry().snapshot()) {
      if (peer.state != cluster::PeerState::kReachable) continue;
      for (const auto& pm : peer.status.models) {
        auto& m = entry(pm.id);
        merge(m, pm.created, pm.owned_by, pm.loaded);
        m.nodes.push_back(
            json::object{{"id", peer.status.id}, {"name", peer.status.name}, {"loaded", pm.loaded}});
      }
    }
  }
  return out;
}

json::object model_json(const ClusterModel& m) {
  json::object o;
  o["id"] = m.id;
  o["object"] = "model";
  o["created"] = m.created;
  o["owned_by"] = m.owned_by.empty() ? "quorum" : m.owned_by;
  json::array engines;
  for (const auto& name : m.engines) engines.push_back(json::value(name));
  o["quorum"] = json::object{{"engines", std::move(engines)}, {"loaded", m.loaded}, {"nodes", m.nodes}};
  return o;
}

}  // namespace

net::Task<void> Api::list_models(net::ResponseWriter& w, std::string request_id) {
  co_await registry_.refresh_if_older(std::chrono::milliseconds(1000));
  json::array data;
  for (const auto& m : cluster_models(registry_, cluster_, self_)) data.push_back(model_json(m));
  json::object body{{"object", "list"}, {"data", std::move(data)}};
  co_await send_json(w, 200, body, request_id);
}

net::Task<void> Api::get_model(std::string id, net::ResponseWriter& w, std::string request_id) {
  co_await registry_.refresh_if_older(std::chrono::milliseconds(1000));
  for (const auto& m : cluster_models(registry_, cluster_, self_)) {
    if (m.id == id) {
      co_await send_json(w, 200, model_json(m), request_id);
      co_return;
    }
  }
  co_await send_error(w, model_not_found(id), request_id);
}

net::Task<void> Api::cluster_nodes(net::ResponseWriter& w) {
  auto models_json = [](const std::vector<cluster::ModelState>& models) {
    json::array out;
    for (const auto& m : models) out.push_back(json::object{{"id", m.id}, {"loaded", m.loaded}});
    return out;
  };
  auto strings_json = [](const std::vector<std::string>& items) {
    json::array out;
    for (const auto& i : items) out.push_back(json::value(i));
    return out;
  };
  auto status = local_status();
  json::object self{
      {"id", self_.id},
      {"name", self_.name},
      {"address", cluster_ && !cluster_->self_address().empty() ? cluster_->self_address() : self_address_},
      {"port", self_port_},
      {"version", QUORUM_VERSION},
      {"state", "self"},
      {"models", models_json(status.models)},
      {"engines", strings_json(status.engines)},
      {"in_flight", status.in_flight},
      {"capacity", status.capacity}};
  json::array data;
  if (cluster_) {
    auto now = cluster::RegistryClock::now();
    for (const auto& p : cluster_->registry().snapshot()) {
      const cluster::LanPath* lan = p.lan_path();
      json::object o{{"id", p.status.id},
                     {"name", p.status.name},
                     {"address", lan ? lan->address : std::string()},
                     {"port", lan ? lan->port : p.status.port},
                     {"version", p.status.version},
                     {"state", std::string(cluster::to_string(p.state))},
                     {"static", p.configured()},
                     {"models", models_json(p.status.models)},
                     {"engines", strings_json(p.status.engines)},
                     {"in_flight", std::max(p.status.in_flight, p.forwarded)},
                     {"capacity", p.status.capacity},
                     {"last_seen_ms_ago",
                      std::chrono::duration_cast<std::chrono::milliseconds>(now - p.last_seen).count()}};
      if (!p.last_error.empty()) o["error"] = p.last_error;
      data.push_back(std::move(o));
    }
  }
  json::object body{
      {"object", "list"},
      {"cluster", cluster_ ? json::value(cluster_->membership().cluster_id) : json::value(nullptr)},
      {"self", std::move(self)},
      {"data", std::move(data)}};
  if (cluster_) {
    json::object discovery{{"mdns", false}};
    if (auto d = cluster_->discovery_status()) {
      json::array interfaces;
      for (const auto& i : d->interfaces) interfaces.push_back(json::value(i));
      discovery = json::object{{"mdns", true},
                               {"interfaces", std::move(interfaces)},
                               {"nodes_heard", d->nodes_heard},
                               {"other_clusters", d->other_clusters}};
    }
    body["discovery"] = std::move(discovery);
  }
  co_await send_json(w, 200, body, std::string());
}

std::string Api::cluster_metrics() const {
  if (!cluster_) return {};
  std::map<std::string, int> by_state{{"pending", 0}, {"reachable", 0}, {"unreachable", 0}};
  std::string forwarded;
  for (const auto& p : cluster_->registry().snapshot()) {
    ++by_state[std::string(cluster::to_string(p.state))];
    std::string name;
    for (char c : p.status.name) name += (c == '"' || c == '\\') ? '_' : c;
    forwarded +=
        "quorum_cluster_forwarded_in_flight{node=\"" + name + "\"} " + std::to_string(p.forwarded) + "\n";
  }
  std::string out =
      "# HELP quorum_cluster_nodes Other nodes of this node's cluster, by state.\n"
      "# TYPE quorum_cluster_nodes gauge\n";
  for (const auto& [state, count] : by_state) {
    out += "quorum_cluster_nodes{state=\"" + state + "\"} " + std::to_string(count) + "\n";
  }
  out +=
      "# HELP quorum_cluster_forwarded_in_flight Requests this node has forwarded to each peer, now.\n"
      "# TYPE quorum_cluster_forwarded_in_flight gauge\n" +
      forwarded;
  return out;
}

net::Task<void> Api::heartbeat(net::HttpRequest& req, net::ResponseWriter& w, std::string request_id) {
  if (!cluster_) {
    ApiError e = ApiError::not_found("This node is in no cluster (see `quorum cluster init`).", std::nullopt,
                                     std::string("no_cluster"));
    co_await send_error(w, e, request_id);
    co_return;
  }
  auto caller = cluster::parse_node_status(req.body);
  if (!caller) {
    ApiError e = caller.take_error();
    e.status = 400;
    e.type = "invalid_request_error";
    co_await send_error(w, e, request_id);
    co_return;
  }
  // A peer speaks only for itself: the status must be that of the node whose proof was checked.
  if (req.arrival != net::Arrival::kLoopback && caller->id != req.headers.get("X-Quorum-Node")) {
    ApiError e{401, "invalid_request_error", "The heartbeat is signed by another node.", std::nullopt,
               std::string("invalid_peer_proof")};
    co_await send_error(w, e, request_id);
    co_return;
  }
  std::string answer =
      json::serialize(cluster::status_to_json(cluster_->on_heartbeat(*caller, req.remote_address)));
  net::Headers h = json_headers(request_id);
  h.add("X-Quorum-Node", self_.id);
  h.add("X-Quorum-Proof", cluster::sign_peer_reply(cluster_->membership().secret,
                                                   req.headers.get("X-Quorum-Nonce"), self_.id, answer));
  co_await w.send(200, h, std::move(answer));
}

net::Task<void> Api::health(net::ResponseWriter& w) {
  json::array engines;
  for (const auto& e : registry_.status()) {
    engines.push_back(json::object{{"name", e.name},
                                   {"type", e.type},
                                   {"url", e.location},
                                   {"autodetected", e.autodetected},
                                   {"up", e.up},
                                   {"models", e.models.size()},
                                   {"error", e.last_error}});
  }
  json::object body{{"status", "ok"}, {"version", QUORUM_VERSION}, {"engines", std::move(engines)}};
  co_await send_json(w, 200, body, std::string());
}

}  // namespace quorum::node
