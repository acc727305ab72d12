#include "relay/mesh.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdlib>

#include "auth/api_key.h"
#include "core/log.h"
#include "link/goaway.h"
#include "link/relay_auth.h"
#include "net/http_client.h"
#include "relay/mesh_home.h"
#include "relay/proxy.h"
#include "wire/sse.h"
#include "wire/stream_writer.h"

namespace quorum::relay {

namespace asio = net::asio;

namespace {

// Key ids remembered with their cluster, at most; past it the memory starts again.
constexpr size_t kMaxRememberedKeys = 100000;

bool same_relays(const std::vector<RelayRecord>& a, const std::vector<RelayRecord>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const RelayRecord& x, const RelayRecord& y) {
    return x.id == y.id && x.url == y.url;
  });
}

net::Task<void> send_error(net::ResponseWriter& writer, const ApiError& error, net::Headers headers) {
  headers.add("Content-Type", "application/json");
  std::string text = wire::error_body(error);
  co_await writer.send(error.status, headers, std::move(text));
}

}  // namespace

Mesh::Mesh(asio::any_io_executor executor, Store& store, NodeHub& hub, std::string self_id,
           std::string advertise)
    : executor_(std::move(executor)),
      store_(store),
      hub_(hub),
      self_id_(std::move(self_id)),
      advertise_(std::move(advertise)) {
  while (!advertise_.empty() && advertise_.back() == '/') advertise_.pop_back();
  live_.push_back(RelayRecord{self_id_, advertise_, unix_now(), unix_now()});
}

net::Task<Status> Mesh::join() {
  auto announced = co_await store_.announce_relay(self_id_, advertise_);
  if (!announced) co_return announced.take_error();
  auto secret = co_await store_.mesh_secret();
  if (!secret) co_return secret.take_error();
  secret_ = std::move(*secret);
  co_await refresh();
  co_return Ok{};
}

void Mesh::start() {
  timer_ = std::make_shared<asio::steady_timer>(executor_);
  asio::co_spawn(executor_, loop(), asio::detached);
}

void Mesh::stop() {
  if (timer_) timer_->cancel();
  timer_.reset();
}

net::Task<void> Mesh::leave() {
  auto removed = co_await store_.remove_relay(self_id_);
  if (!removed)
    log::warn("relay: mesh: cannot remove this relay from the registry: " + removed.error().message);
}

net::Task<void> Mesh::loop() {
  auto timer = timer_;
  constexpr int kTicksPerHeartbeat = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(kRelayHeartbeat).count() / kMoveCheck.count());
  for (int tick = 1;; ++tick) {
    timer->expires_after(kMoveCheck);
    auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || !timer_) co_return;
    if (tick % kTicksPerHeartbeat == 0) co_await refresh();
    if (!timer_) co_return;
    move_misplaced();
  }
}

net::Task<void> Mesh::refresh() {
  auto announced = co_await store_.announce_relay(self_id_, advertise_);
  const UnixSeconds since = unix_now() - static_cast<UnixSeconds>(kRelayLiveFor.count());
  auto seen = co_await store_.relays_seen_since(since);
  if (!announced || !seen) {
    if (!registry_failing_) {
      log::warn("relay: mesh: the relay registry cannot be read or written now (" +
                (announced ? seen.error().message : announced.error().message) +
                "); the last list of live relays stays in use");
    }
    registry_failing_ = true;
    co_return;
  }
  registry_failing_ = false;
  std::vector<RelayRecord> live = std::move(*seen);
  const bool self_listed =
      std::any_of(live.begin(), live.end(), [&](const auto& r) { return r.id == self_id_; });
  if (!self_listed) live.push_back(RelayRecord{self_id_, advertise_, unix_now(), unix_now()});
  std::sort(live.begin(), live.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  if (!same_relays(live, live_)) {
    std::string names;
    for (const auto& r : live) names += (names.empty() ? "" : ", ") + r.id + " at " + log::printable(r.url);
    log::info("relay: mesh: " + std::to_string(live.size()) + " live relay(s): " + names);
  }
  live_ = std::move(live);
}

RelayRecord Mesh::home_of(const std::string& cluster_id) const {
  const RelayRecord* home = home_relay(cluster_id, live_);
  return home ? *home : RelayRecord{self_id_, advertise_, 0, 0};
}

void Mesh::move_misplaced() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = told_.begin(); it != told_.end();) {
    const auto& session = it->first;
    if (session->is_open() && (session->stream_count() == 0 || now - it->second > kMoveGrace)) {
      session->close("moved to its cluster's home relay");
    }
    it = session->is_open() ? std::next(it) : told_.erase(it);
  }
  for (const auto& n : hub_.all_nodes()) {
    if (!n->session->is_open() || told_.count(n->session)) continue;
    const RelayRecord home = home_of(n->cluster_id);
    if (home.id == self_id_) continue;
    log::info("relay: mesh: node '" + log::printable(n->name) + "' (" + n->id +
              ") is told to move to relay " + home.id + " at " + log::printable(home.url) +
              ", its cluster's home");
    n->session->send(link::FrameType::kGoaway, link::goaway_payload(link::Goaway{"moved", 0, home.url}));
    if (n->session->stream_count() == 0) {
      n->session->close("moved to its cluster's home relay");
    } else {
      told_[n->session] = now;
    }
  }
}

net::Task<std::optional<std::string>> Mesh::cluster_of_key(std::string key_id) {
  if (auto it = key_clusters_.find(key_id); it != key_clusters_.end()) co_return it->second;
  auto key = co_await store_.find_key(key_id);
  if (!key || !*key) co_return std::nullopt;
  if (key_clusters_.size() >= kMaxRememberedKeys) key_clusters_.clear();
  key_clusters_[key_id] = (*key)->cluster_id;
  co_return (*key)->cluster_id;
}

net::Task<std::optional<std::string>> Mesh::cluster_of_node(std::string node_id) {
  if (auto it = node_clusters_.find(node_id); it != node_clusters_.end()) co_return it->second;
  auto node = co_await store_.node(node_id);
  if (!node || !*node) co_return std::nullopt;
  if (node_clusters_.size() >= kMaxRememberedKeys) node_clusters_.clear();
  node_clusters_[node_id] = (*node)->cluster_id;
  co_return (*node)->cluster_id;
}

net::Task<Mesh::Inbound> Mesh::inbound(net::HttpRequest& request, net::ResponseWriter& writer) {
  const std::string_view from = request.headers.get(kMeshFromHeader);
  if (from.empty() && !request.headers.has(kMeshSignatureHeader) && !request.headers.has(kMeshTimeHeader)) {
    co_return Inbound::kFromClient;
  }
  if (mesh_signature_ok(secret_, request.method, request.target, request.body,
                        request.headers.get(kMeshTimeHeader), from, request.headers.get(kMeshSignatureHeader),
                        unix_now())) {
    ++forwarded_in_;
    co_return Inbound::kFromRelay;
  }
  const ApiError refusal{401, "invalid_request_error",
                         "This request carries relay-to-relay headers that do not prove it came from a relay "
                         "of this group.",
                         std::nullopt, "invalid_mesh_signature"};
  net::Headers none;
  co_await send_error(writer, refusal, std::move(none));
  co_return Inbound::kRefused;
}

net::Task<bool> Mesh::route(net::HttpRequest& request, net::ResponseWriter& writer) {
  const Inbound from = co_await inbound(request, writer);
  // Forwarded by a relay of this group: served here, never forwarded again (the loop guard).
  if (from != Inbound::kFromClient) co_return from == Inbound::kRefused;
  if (live_.size() < 2 || (request.method != "GET" && request.method != "POST")) co_return false;
  const std::string_view authorization = request.headers.get("Authorization");
  if (authorization.size() < 7 || !net::iequals(authorization.substr(0, 7), "Bearer ")) co_return false;
  auto parsed = api_key::parse(authorization.substr(7));
  if (!parsed) co_return false;  // refused here as it would be at home
  auto cluster = co_await cluster_of_key(parsed->id);
  if (!cluster) co_return false;  // unknown key (or the store unavailable): answered here
  RelayRecord home = home_of(*cluster);
  if (home.id == self_id_) co_return false;
  co_await forward(std::move(home), request, writer);
  co_return true;
}

net::Task<bool> Mesh::route_control(net::HttpRequest& request, net::ResponseWriter& writer) {
  const Inbound from = co_await inbound(request, writer);
  if (from != Inbound::kFromClient) co_return from == Inbound::kRefused;
  if (live_.size() < 2) co_return false;
  auto auth = link::parse_control_authorization(request.headers.get("Authorization"));
  if (!auth) co_return false;  // refused here as it would be at home
  auto cluster = co_await cluster_of_node(auth->node_id);
  if (!cluster) co_return false;
  RelayRecord home = home_of(*cluster);
  if (home.id == self_id_) co_return false;
  co_await forward(std::move(home), request, writer);
  co_return true;
}

net::Task<bool> Mesh::route_cluster(std::string cluster_id, net::HttpRequest& request,
                                    net::ResponseWriter& writer) {
  if (live_.size() < 2) co_return false;
  RelayRecord home = home_of(cluster_id);
  if (home.id == self_id_) co_return false;
  co_await forward(std::move(home), request, writer, true);
  co_return true;
}

net::Task<void> Mesh::forward(RelayRecord home, net::HttpRequest& request, net::ResponseWriter& writer,
                              bool with_cookie) {
  ++forwarded_out_;
  const int64_t now = unix_now();
  net::Headers headers;
  if (const auto authorization = request.headers.get("Authorization"); !authorization.empty()) {
    headers.add("Authorization", std::string(authorization));
  }
  if (const auto type = request.headers.get("Content-Type"); !type.empty()) {
    headers.add("Content-Type", std::string(type));
  }
  if (const auto cookie = request.headers.get("Cookie"); with_cookie && !cookie.empty()) {
    headers.add("Cookie", std::string(cookie));
  }
  headers.add(std::string(kMeshFromHeader), self_id_);
  headers.add(std::string(kMeshTimeHeader), std::to_string(now));
  headers.add(std::string(kMeshSignatureHeader),
              mesh_signature(secret_, request.method, request.target, request.body, now, self_id_));
  net::ClientOptions options;
  options.connect_timeout = std::chrono::seconds(3);
  if (const char* ca = std::getenv("QUORUM_RELAY_CA_FILE")) options.ca_file = ca;
  std::string method = request.method;
  std::string url = home.url + request.target;
  std::string body = request.body;
  auto response = co_await net::http_request(std::move(method), std::move(url), std::move(headers),
                                             std::move(body), options);
  if (!response) {
    log::warn("relay: mesh: the home relay " + home.id + " at " + log::printable(home.url) +
              " cannot be reached: " + log::printable(response.error().message));
    const ApiError unavailable = ApiError::server(
        503,
        "The relay that serves this API key's cluster cannot be reached now; try again in a few seconds.",
        "relay_unavailable");
    net::Headers retry;
    retry.add("Retry-After", "2");
    co_await send_error(writer, unavailable, std::move(retry));
    co_return;
  }
  auto& answer = **response;
  net::Headers out;
  for (const auto& [name, value] : answer.headers().items()) {
    if (passes_to_client(name)) out.add(name, value);
  }
  out.add("x-quorum-relay-home", home.id);
  out.add("x-quorum-relay-via", self_id_);
  const bool sse = answer.headers().get("Content-Type").starts_with("text/event-stream");
  if (!sse) {
    auto all = co_await answer.read_all();
    if (!all) {
      const ApiError gone =
          ApiError::server(502, "The cluster's home relay went away while it answered.", "relay_unavailable");
      net::Headers none;
      co_await send_error(writer, gone, std::move(none));
      co_return;
    }
    co_await writer.send(answer.status(), out, std::move(*all));
    co_return;
  }
  // A stream: each piece as it comes (the home relay sends whole SSE events), never gathered.
  if (!co_await writer.begin_stream(answer.status(), out)) {
    answer.cancel();
    co_return;
  }
  for (;;) {
    auto piece = co_await answer.read_some();
    if (!piece) {
      const ApiError gone =
          ApiError::server(502, "The cluster's home relay went away during the response.", "relay_gone");
      std::string tail = wire::sse_data(wire::error_body(gone)) + std::string(wire::kSseDone);
      co_await writer.end_stream(tail);
      co_return;
    }
    if (piece->empty()) {
      co_await writer.end_stream();
      co_return;
    }
    if (!co_await writer.write(*piece)) {
      answer.cancel();  // the client left: so does the stream at home, and its node stops
      co_return;
    }
  }
}

}  // namespace quorum::relay
