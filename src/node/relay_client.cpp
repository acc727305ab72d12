#include "node/relay_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <random>

#include "cluster/crypto.h"
#include "cluster/signing_key.h"
#include "core/log.h"
#include "link/bridge.h"
#include "link/goaway.h"
#include "link/relay_auth.h"
#include "wire/json_fields.h"

namespace quorum::node {

namespace asio = net::asio;
namespace json = boost::json;
using asio::use_awaitable;
using link::FrameType;
using std::chrono::milliseconds;

namespace {

net::Task<void> sleep_on(asio::steady_timer& timer, milliseconds delay) {
  timer.expires_after(delay);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
}

// http(s)://host[:port][/prefix] → ws(s)://host[:port][/prefix]/v1/relay/connect
std::string link_url(std::string url) {
  if (url.starts_with("https://")) url = "wss://" + url.substr(8);
  if (url.starts_with("http://")) url = "ws://" + url.substr(7);
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + std::string(link::kLinkPath);
}

std::optional<json::object> frame_json(const Result<std::string>& message, FrameType want) {
  if (!message) return std::nullopt;
  auto decoded = link::decode(message.value());
  auto* frame = std::get_if<link::Frame>(&decoded);
  if (!frame || frame->type != want) return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(frame->payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v.as_object();
}

std::string text_of(const json::object& o, std::string_view key) {
  return wire::string_field(o, key, 512);
}

milliseconds jittered(int attempt) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const auto cap = std::min<int64_t>(RelayClient::kMaxBackoff.count(), RelayClient::kMinBackoff.count()
                                                                           << std::min(attempt, 8));
  return milliseconds(std::uniform_int_distribution<int64_t>(RelayClient::kMinBackoff.count(), cap)(rng));
}

}  // namespace

RelayClient::RelayClient(asio::any_io_executor executor, std::string state_dir, cluster::NodeIdentity self,
                         cluster::Membership membership, StatusFn status, Adopt adopt)
    : executor_(std::move(executor)),
      state_dir_(std::move(state_dir)),
      self_(std::move(self)),
      membership_(std::move(membership)),
      status_(std::move(status)),
      adopt_(std::move(adopt)),
      wake_(executor_) {}

void RelayClient::start() {
  asio::co_spawn(executor_, run(), asio::detached);
}

void RelayClient::stop() {
  asio::post(executor_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->wake_.cancel();
    if (self->session_) self->session_->close("the node is stopping");
  });
}

void RelayClient::report_usage(std::string payload) {
  asio::post(executor_, [self = shared_from_this(), payload = std::move(payload)]() mutable {
    if (self->session_ && self->session_->is_open()) self->session_->send(FrameType::kUsage, payload);
  });
}

net::Task<void> RelayClient::run() {
  auto self = shared_from_this();
  int attempt = 0;
  bool told_missing = false;
  while (!stopped_) {
    auto relay = cluster::load_relay_membership(state_dir_);
    if (!relay || !*relay) {
      if (!relay && !told_missing) log::warn(relay.error().message);
      told_missing = true;
      co_await sleep_on(wake_, milliseconds(2000));
      continue;
    }
    told_missing = false;
    const auto started = std::chrono::steady_clock::now();
    std::string dial = moved_to_.empty() ? (*relay)->url : moved_to_;
    const bool moved = !moved_to_.empty();
    moved_to_.clear();  // set again only by this link's own GOAWAY "moved"
    auto delay = co_await connect_once(**relay, std::move(dial));
    if (moved && !welcomed_ && moved_to_.empty()) {
      log::info("relay: the relay this node was moved to cannot be reached; back to " + (*relay)->url);
      delay = kMinBackoff;
    }
    if (std::chrono::steady_clock::now() - started > std::chrono::minutes(1)) attempt = 0;
    if (stopped_) break;
    if (delay.count() < 0) delay = jittered(attempt++);
    co_await sleep_on(wake_, delay);
  }
}

net::Task<milliseconds> RelayClient::connect_once(const cluster::RelayMembership& relay, std::string dial) {
  welcomed_ = false;
  const std::string url = link_url(dial);
  auto key = cluster::SigningKey::from_seed(cluster::base64url_decode(relay.node_key_seed));
  if (!key) {
    log::warn("relay: relay.json holds no usable node key; run `quorum relay join` again");
    co_return milliseconds(5000);
  }
  net::WebSocketOptions options;
  if (const char* ca = std::getenv("QUORUM_RELAY_CA_FILE")) options.ca_file = ca;
  const net::Headers no_headers;
  const std::string subprotocol(link::kSubprotocol);
  auto ws = co_await net::WebSocket::connect(executor_, url, no_headers, subprotocol, options);
  if (!ws) {
    log::debug("relay: " + ws.error().message);
    co_return milliseconds(-1);
  }
  auto hello = frame_json(co_await ws->read(), FrameType::kHello);
  if (!hello) co_return milliseconds(-1);
  const std::string relay_id = text_of(*hello, "relay_id");
  const std::string signature =
      key->sign(link::link_auth_message(text_of(*hello, "challenge"), relay_id, self_.id));
  const std::string auth = json::serialize(json::object{{"node_id", self_.id},
                                                        {"cluster_id", membership_.fingerprint()},
                                                        {"signature", cluster::base64url_encode(signature)},
                                                        {"batches", true}});
  if (!co_await ws->write(link::encode(FrameType::kAuth, 0, auth))) co_return milliseconds(-1);
  auto reply = co_await ws->read();
  if (auto denied = frame_json(reply, FrameType::kDeny)) {
    log::warn("relay: " + dial + " refused this node: " + text_of(*denied, "message"));
    co_return milliseconds(30000);
  }
  const auto welcome = frame_json(reply, FrameType::kWelcome);
  if (!welcome) co_return milliseconds(-1);

  auto session =
      std::make_shared<link::LinkSession>(executor_, std::move(*ws), link::LinkSession::Side::kNode);
  // A relay that reads BATCH frames said so in WELCOME (an older one says nothing, and gets none).
  if (const auto* said = welcome->if_contains("batches"); said && said->is_bool() && said->get_bool())
    session->send_batches();
  session_ = session;
  connected_ = true;
  welcomed_ = true;
  log::info("relay: connected to " + dial + " (relay " + relay_id + ")");
  auto closed = std::make_shared<asio::steady_timer>(executor_, asio::steady_timer::time_point::max());
  auto next = std::make_shared<milliseconds>(-1);
  link::LinkSession::Handlers handlers;
  std::weak_ptr<RelayClient> weak = weak_from_this();
  handlers.on_open = [weak](const std::shared_ptr<link::LinkStream>& stream) {
    if (auto me = weak.lock()) me->on_open(stream);
  };
  handlers.on_link_frame = [next, weak, configured = relay.url](const link::Frame& frame) {
    if (frame.type != FrameType::kGoaway && frame.type != FrameType::kNotice) return;
    boost::system::error_code ec;
    auto v = json::parse(frame.payload, ec);
    if (ec || !v.is_object()) return;
    if (frame.type == FrameType::kNotice && text_of(v.as_object(), "type") == "keys") {
      auto me = weak.lock();
      auto keys = auth::KeyBook::parse(frame.payload);
      if (me && me->on_keys && keys) me->on_keys(std::move(*keys));
      return;
    }
    if (frame.type == FrameType::kNotice) {
      auto me = weak.lock();
      const auto* nodes = v.as_object().if_contains("nodes");
      if (!me || !me->on_members || text_of(v.as_object(), "type") != "members" || !nodes ||
          !nodes->is_array()) {
        return;
      }
      std::vector<std::pair<std::string, std::string>> members;
      for (const auto& n : nodes->as_array()) {
        if (!n.is_object() || members.size() >= 1024) continue;
        const std::string id = text_of(n.as_object(), "id");
        if (cluster::valid_status_text(id) && !id.empty())
          members.emplace_back(id, text_of(n.as_object(), "name"));
      }
      me->on_members(members, true);
      return;
    }
    if (auto goaway = link::parse_goaway(frame.payload); goaway && goaway->reason == "moved") {
      auto me = weak.lock();
      std::string to = link::acceptable_move(configured, goaway->url);
      if (me && !to.empty()) {
        log::info("relay: moving to " + log::printable(to) + ", this cluster's home relay");
        me->moved_to_ = std::move(to);
      }
    }
    if (auto* ms = v.as_object().if_contains("reconnect_in_ms"); ms && ms->is_int64()) {
      // Spread the reconnections of every node over the time the relay gave.
      const auto base = std::clamp<int64_t>(ms->as_int64(), 0, 60000);
      static thread_local std::mt19937 rng{std::random_device{}()};
      *next =
          milliseconds(base + std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(base, 250))(rng));
    }
  };
  handlers.on_closed = [closed, url, weak](const std::string& reason) {
    log::info("relay: link to " + url + " closed: " + reason);
    if (auto me = weak.lock(); me && me->on_members) me->on_members({}, false);
    closed->cancel();
  };
  session->start(std::move(handlers));
  asio::co_spawn(executor_, status_loop(session, relay.url), asio::detached);
  boost::system::error_code ec;
  co_await closed->async_wait(asio::redirect_error(use_awaitable, ec));
  connected_ = false;
  session_.reset();
  co_return *next;
}

net::Task<Result<asio::ip::tcp::socket>> RelayClient::open_peer_stream(std::string node_id,
                                                                       asio::any_io_executor executor) {
  auto self = shared_from_this();
  // Runs on the link's executor (co_spawn wants a default-constructible result: hence the optional).
  using Opened = std::optional<Result<asio::ip::tcp::socket>>;
  auto open_on_link = [self, node_id, executor]() -> net::Task<Opened> {
    if (!self->session_ || !self->session_->is_open()) {
      co_return Opened(ApiError::server(502, "No relay link to reach node " + node_id + " through."));
    }
    auto stream = self->session_->open(json::serialize(json::object{{"kind", "peer"}, {"to", node_id}}));
    if (!stream) co_return Opened(ApiError::server(503, "The relay link has no room for another stream."));
    co_return Opened(link::bridge_to_socket(stream, self->executor_, executor));
  };
  Opened opened = co_await asio::co_spawn(executor_, open_on_link(), asio::use_awaitable);
  co_return std::move(*opened);
}

net::Task<void> RelayClient::status_loop(std::shared_ptr<link::LinkSession> session, std::string url) {
  asio::steady_timer timer(executor_);
  while (session->is_open() && !stopped_) {
    // `quorum relay leave` (or a join elsewhere) while linked: this link ends.
    auto relay = cluster::load_relay_membership(state_dir_);
    if (relay && (!*relay || (*relay)->url != url)) {
      log::info("relay: relay.json changed; leaving " + url);
      session->close("the node left this relay");
      co_return;
    }
    std::vector<std::string> left_out;
    auto status = cluster::shareable_status(status_(), left_out);
    session->send(FrameType::kStatus, json::serialize(cluster::status_to_json(status)));
    co_await sleep_on(timer, kStatusInterval);
  }
}

void RelayClient::on_open(const std::shared_ptr<link::LinkStream>& stream) {
  boost::system::error_code ec;
  auto v = json::parse(stream->open_payload(), ec);
  const std::string kind = !ec && v.is_object() ? text_of(v.as_object(), "kind") : "";
  if (kind != "api" && kind != "peer") {
    stream->reset("refused", "unknown stream kind");
    return;
  }
  auto socket = link::bridge_to_socket(stream, executor_, executor_);
  if (!socket) return;
  if (kind == "api") {
    adopt_(std::move(*socket), net::Arrival::kRelay, "relay");
  } else {
    adopt_(std::move(*socket), net::Arrival::kRelayPeer, "relay:" + text_of(v.as_object(), "from"));
  }
}

void RelayUsageReporter::request_done(const api::RequestRecord& record) {
  if (record.relay_request_id.empty() && record.key_id.empty()) return;
  auto client = client_.lock();
  if (!client) return;
  client->report_usage(json::serialize(json::object{{"request_id", record.relay_request_id},
                                                    {"key_id", record.key_id},
                                                    {"model", record.model},
                                                    {"failed", record.status >= 400},
                                                    {"prompt_tokens", record.usage.prompt_tokens},
                                                    {"completion_tokens", record.usage.completion_tokens}}));
}

}  // namespace quorum::node
