#include "node/cluster_node.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cstdlib>

#include "cluster/peer_proof.h"
#include "cluster/peer_tls_key.h"
#include "core/log.h"
#include "core/version.h"
#include "net/http_client.h"

namespace quorum::node {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = cluster::RegistryClock;

namespace {

cluster::PresenceTiming timing_from(const ClusterConfig& config) {
  cluster::PresenceTiming t;
  t.heartbeat_interval = config.heartbeat_interval;
  t.first_retry = std::min(t.first_retry, config.heartbeat_interval);
  t.prune_after = config.prune_after;
  t.early_heartbeat_gap = std::min(t.early_heartbeat_gap, config.heartbeat_interval);
  return t;
}

// Lines about what strangers cause, of each kind: a burst of 20, then one every 5 s. Model ids left out are
// logged again after a day.
constexpr double kStrangerLinesPerSecond = 0.2;
constexpr double kStrangerLineBurst = 20;
constexpr size_t kModelsLeftOutRemembered = 1024;
constexpr auto kModelLeftOutLoggedAgain = std::chrono::hours(24);
// Leads displaced by a flood: one line at most this often.
constexpr auto kDisplacedLogEvery = std::chrono::seconds(10);

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string seconds_text(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000);
  return buf;
}

}  // namespace

std::shared_ptr<const net::PeerTls> peer_tls_for(const cluster::Membership& membership) {
  auto key = cluster::peer_tls_key(membership);
  return net::make_peer_tls(std::move(key.identity), std::move(key.key));
}

std::string http_base(const std::string& host, unsigned short port) {
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ClusterNode::ClusterNode(const asio::any_io_executor& executor, cluster::NodeIdentity self,
                         cluster::Membership membership, const ClusterConfig& config,
                         StatusSource local_status)
    : executor_(executor),
      self_(std::move(self)),
      membership_(std::move(membership)),
      peer_tls_(peer_tls_for(membership_)),
      config_(config),
      local_status_(std::move(local_status)),
      registry_(self_.id, timing_from(config)),
      timer_(executor),
      lead_log_(kStrangerLinesPerSecond, kStrangerLineBurst),
      goodbye_log_(kStrangerLinesPerSecond, kStrangerLineBurst),
      models_left_out_(kModelsLeftOutRemembered, kModelLeftOutLoggedAgain) {
#ifdef QUORUM_BENCH_KNOBS
  // Benchmark builds only (-DQUORUM_BENCH=ON; bench/run.sh), to measure what TLS costs a hop: this node calls
  // its peers in plain text. Only a peer on loopback serves that (as a local caller); one on the network
  // refuses a plain peer request, so this cannot turn the protection off between machines.
  if (const char* plain = std::getenv("QUORUM_BENCH_PLAIN_PEERS"); plain && std::string_view(plain) == "1") {
    peer_tls_ = nullptr;
    log::warn(
        "QUORUM_BENCH_PLAIN_PEERS: calling peers in plain text (benchmark build, for measurement only)");
  }
#endif
}

void ClusterNode::start(unsigned short port, const std::vector<std::array<uint8_t, 4>>& addresses,
                        bool follow_addresses) {
  if (!addresses.empty()) {
    std::lock_guard lock(address_mutex_);
    self_address_ = asio::ip::address_v4(addresses.front()).to_string();
  }
  if (config_.mdns) {
    cluster::ServiceAnnouncement self;
    self.node_id = self_.id;
    self.name = self_.name;
    self.version = quorum::version();
    self.fingerprint = membership_.fingerprint();
    self.port = port;
    self.addresses = addresses;
    cluster::DiscoveryHooks hooks;
    hooks.on_found = [this](const cluster::ServiceAnnouncement& a, const std::string& address) {
      on_announced(a, address);
    };
    hooks.on_goodbye = [this](const std::string& id, const std::string& name, const std::string& from) {
      on_goodbye(id, name, from);
    };
    hooks.on_addresses = [this](const std::vector<std::string>& now) {
      std::lock_guard lock(address_mutex_);
      if (!now.empty()) self_address_ = now.front();
    };
    auto mdns = std::make_unique<cluster::MdnsService>(executor_, self, std::move(hooks), follow_addresses);
    if (auto started = mdns->start(); started) {
      mdns_ = std::move(mdns);
    } else {
      log::warn(started.error().message + "; LAN discovery is off (peers can still be given with --peer)");
    }
  } else {
    log::info("mDNS is off (--no-mdns): peers come from --peer only");
  }
  auto now = Clock::now();
  for (const auto& [host, port] : config_.peers) {
    registry_.add_static(host, port, now);
    log::info("cluster: peer " + host + ":" + std::to_string(port) + " (from --peer)");
  }
  asio::co_spawn(executor_, heartbeat_loop(), asio::detached);
}

void ClusterNode::stop() {
  if (mdns_) mdns_->stop();
  stopped_ = true;
  timer_.cancel();
}

std::string ClusterNode::self_address() const {
  std::lock_guard lock(address_mutex_);
  return self_address_;
}

std::optional<cluster::DiscoveryStatus> ClusterNode::discovery_status() const {
  if (!mdns_) return std::nullopt;
  return mdns_->status();
}

void ClusterNode::wake() {
  // Many wakes before the loop runs (a burst of announcements) need one look at the registry.
  if (wake_posted_.exchange(true)) return;
  asio::post(executor_, [this] {
    wake_posted_ = false;
    timer_.cancel();
  });
}

void ClusterNode::log_limited(LogBudget& budget, log::Level level, const std::string& line) {
  std::lock_guard lock(log_mutex_);
  if (auto held = budget.admit(RateClock::now())) log::write(level, with_held_back(line, *held));
}

void ClusterNode::summarise(LogBudget& budget, const std::string& about) {
  std::lock_guard lock(log_mutex_);
  if (auto held = budget.summary(RateClock::now())) {
    log::info("cluster: " + std::to_string(held) + " more lines about " + about + " not logged (rate limit)");
  }
}

cluster::NodeStatus ClusterNode::own_status() {
  std::vector<std::string> left_out;
  auto status = cluster::shareable_status(local_status_(), left_out);
  if (!left_out.empty()) {
    std::lock_guard lock(log_mutex_);
    const auto now = RateClock::now();
    for (const auto& id : left_out) {
      if (!models_left_out_.touch(id, now)) continue;
      log::warn("cluster: model '" + log::printable(id) +
                "' is not offered to peers: its id has control characters or is over 512 bytes (or this node "
                "has over 10 000 models); rename it to share it");
    }
  }
  return status;
}

void ClusterNode::on_announced(const cluster::ServiceAnnouncement& a, const std::string& address) {
  if (registry_.announced(a.node_id, a.name, a.version, address, a.port, Clock::now())) wake();
}

void ClusterNode::on_goodbye(const std::string& id, const std::string& name, const std::string& from) {
  switch (registry_.goodbye(id, from, Clock::now())) {
    case cluster::GoodbyeResult::kRemoved:
      log::info("cluster: node '" + name + "' (" + id + ") said goodbye");
      break;
    case cluster::GoodbyeResult::kCheck:
      log_limited(goodbye_log_, log::Level::kInfo,
                  "cluster: a goodbye for node '" + log::printable(name) + "' (" + log::printable(id) +
                      ") came from " + from + ", not its address: checking it with a heartbeat");
      wake();
      break;
    case cluster::GoodbyeResult::kChecking:
    case cluster::GoodbyeResult::kUnknown:
      break;
  }
}

cluster::NodeStatus ClusterNode::on_heartbeat(const cluster::NodeStatus& caller,
                                              const std::string& remote_address) {
  const auto now = Clock::now();
  if (remote_address.starts_with("relay:")) {
    // Through the relay: the caller is reached the same way back; it has no LAN address from here.
    registry_.relay_member(caller.id, caller.name, now);
    if (registry_.called_by(caller, std::string(), now)) wake();
    return own_status();
  }
  if (registry_.called_by(caller, remote_address, now)) wake();
  return own_status();
}

void ClusterNode::on_relay_members(const std::vector<std::pair<std::string, std::string>>& members,
                                   bool link_up) {
  const auto now = Clock::now();
  std::set<std::string> now_members;
  for (const auto& [id, name] : members) {
    if (id != self_.id) now_members.insert(id);
  }
  std::set<std::string> gone;
  {
    std::lock_guard lock(relay_mutex_);
    for (const auto& id : relay_members_) {
      if (!now_members.count(id)) gone.insert(id);
    }
    relay_members_ = now_members;
  }
  if (!link_up) {
    registry_.relay_gone(std::string(), now);
  } else {
    for (const auto& id : gone) registry_.relay_gone(id, now);
  }
  for (const auto& [id, name] : members) {
    if (id != self_.id) registry_.relay_member(id, name, now);
  }
  wake();
}

std::string ClusterNode::base_of(const cluster::PeerPath& path, net::ClientOptions& options) const {
  if (const auto* lan = std::get_if<cluster::LanPath>(&path)) return http_base(lan->address, lan->port);
  const auto& relay = std::get<cluster::RelayPath>(path);
  if (relay_connector_) {
    options.connector = [connector = relay_connector_, id = relay.node_id](asio::any_io_executor executor) {
      return connector(id, std::move(executor));
    };
  }
  // The host only names the pool of idle streams to that node; nothing resolves it.
  return "http://relay." + relay.node_id + ".invalid";
}

void ClusterNode::sign(net::Headers& headers, std::string_view to, std::string_view method,
                       std::string_view target, std::string_view body) const {
  for (auto& [name, value] :
       cluster::sign_peer_request(membership_.secret, self_.id, to, method, target, body, unix_ms())) {
    headers.add(name, value);
  }
}

std::shared_ptr<engines::Backend> ClusterNode::peer_backend(const std::string& node_id) {
  auto reach = registry_.reach(node_id);
  if (!reach) return nullptr;
  // The path that answered the last heartbeat (the registry puts it first).
  net::ClientOptions options;
  std::string url = base_of(reach->paths.front(), options);
  if (std::holds_alternative<cluster::RelayPath>(reach->paths.front()) && !options.connector) return nullptr;
  std::lock_guard lock(clients_mutex_);
  auto& client = clients_[node_id];
  if (!client.backend || client.url != url) {
    options.connect_timeout = std::chrono::milliseconds(2000);
    // The peer sends SSE keep-alives while it waits for the first token, and tokens after that: a minute of
    // silence means it is gone (asleep, or off the network).
    options.read_idle_timeout = std::chrono::milliseconds(60000);
    options.head_timeout = std::chrono::milliseconds(60000);  // its head comes with the first keep-alive
    options.tls = peer_tls_;
    auto signer = [this, to = node_id](net::Headers& headers, std::string_view method,
                                       std::string_view target, std::string_view body) {
      sign(headers, to, method, target, body);
      headers.add(std::string(cluster::peer_headers::kHop), "1");
    };
    client.url = url;
    client.backend = std::make_shared<engines::OpenAiBackend>(reach->name, url, options, signer);
  }
  return client.backend;
}

Subscription ClusterNode::watch_peer(const std::string& node_id, asio::any_io_executor executor,
                                     std::function<void()> on_lost) {
  // Posts on_lost once, whichever of the subscription and the check below sees the loss first.
  struct Lost {
    std::mutex mutex;
    asio::any_io_executor executor;
    std::function<void()> on_lost;
    void post() {
      std::unique_lock lock(mutex);
      if (!on_lost) return;
      auto f = std::move(on_lost);
      on_lost = nullptr;
      lock.unlock();
      asio::post(executor, std::move(f));
    }
  };
  auto lost = std::make_shared<Lost>();
  lost->executor = std::move(executor);
  lost->on_lost = std::move(on_lost);
  // Subscribed first, then checked: a peer turning unreachable now is seen by one or the other.
  auto subscription = registry_.subscribe([lost, node_id](const cluster::RegistryChange& c) {
    using Kind = cluster::ChangeKind;
    const bool gone = c.node_id == node_id &&
                      (c.kind == Kind::kUnreachable ||
                       (c.kind == Kind::kRemoved && c.removal != cluster::RemovalReason::kReplaced));
    // A --peer that another node answers now (reinstalled machine) is no longer this node.
    const bool replaced = c.kind == Kind::kStatusChanged && c.former_id == node_id && c.node_id != node_id;
    if (gone || replaced) lost->post();
  });
  if (!registry_.is_reachable(node_id)) {
    lost->post();
    return {};
  }
  return subscription;
}

net::Task<void> ClusterNode::heartbeat_loop() {
  for (;;) {
    if (stopped_) co_return;
    auto now = Clock::now();
    for (const auto& name : registry_.prune(now)) {
      log_limited(lead_log_, log::Level::kInfo,
                  "cluster: node '" + log::printable(name) + "' removed: silent for more than " +
                      seconds_text(registry_.timing().prune_after));
    }
    if (auto displaced = registry_.displaced_leads();
        displaced != displaced_logged_ && now - displaced_log_at_ >= kDisplacedLogEvery) {
      log::warn("cluster: " + std::to_string(displaced - displaced_logged_) +
                " node(s) announced by mDNS were forgotten before a heartbeat could verify them (too many "
                "unverified at once: is something on the LAN flooding it with announcements?)");
      displaced_logged_ = displaced;
      displaced_log_at_ = now;
    }
    summarise(lead_log_, "nodes not verified yet");
    summarise(goodbye_log_, "goodbyes from elsewhere");
    for (auto& target : registry_.take_due(now)) {
      asio::co_spawn(executor_, heartbeat(std::move(target)), asio::detached);
    }
    // Wake for the next heartbeat due, and at least once an interval to prune.
    auto next = now + registry_.timing().heartbeat_interval;
    if (auto due = registry_.next_due(); due && *due < next) next = *due;
    timer_.expires_at(next);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

net::Task<Result<std::string>> ClusterNode::identify(std::string base, net::ClientOptions options) {
  const std::string path = "/v1/cluster/identity";
  const std::string no_body;
  net::Headers headers;
  sign(headers, "", "GET", path, no_body);
  const std::string nonce(headers.get(cluster::peer_headers::kNonce));
  auto response = co_await net::http_request("GET", base + path, std::move(headers), no_body, options);
  if (!response) co_return response.take_error();
  auto text = co_await (*response)->read_all(size_t{64} << 10);
  if (!text) co_return text.take_error();
  if ((*response)->status() != 200) {
    co_return ApiError::server(502, "HTTP " + std::to_string((*response)->status()) + " to " + path + ": " +
                                        log::printable(text->substr(0, 300), 300));
  }
  const std::string id((*response)->headers().get(cluster::peer_headers::kNode));
  if (id.empty() || !cluster::valid_status_text(id) ||
      !cluster::verify_peer_reply(membership_.secret, nonce, id, *text,
                                  (*response)->headers().get(cluster::peer_headers::kProof))) {
    co_return ApiError::server(502, "the answer is not signed by a node of this cluster");
  }
  co_return id;
}

net::Task<Result<cluster::NodeStatus>> ClusterNode::exchange(std::string base, std::string to,
                                                             net::ClientOptions options) {
  if (to.empty()) {
    auto identified = co_await identify(base, options);
    if (!identified) co_return identified.take_error();
    to = std::move(*identified);
  }
  const std::string path = "/v1/cluster/heartbeat";
  std::string body = json::serialize(cluster::status_to_json(own_status()));
  net::Headers headers;
  headers.add("Content-Type", "application/json");
  sign(headers, to, "POST", path, body);
  const std::string nonce(headers.get(cluster::peer_headers::kNonce));
  auto response =
      co_await net::http_request("POST", base + path, std::move(headers), std::move(body), options);
  if (!response) co_return response.take_error();
  auto text = co_await (*response)->read_all(size_t{4} << 20);
  if (!text) co_return text.take_error();
  if ((*response)->status() != 200) {
    co_return ApiError::server(502, "HTTP " + std::to_string((*response)->status()) + ": " +
                                        log::printable(text->substr(0, 300), 300));
  }
  auto parsed = cluster::parse_node_status(*text);
  if (!parsed) co_return parsed.take_error();
  if (!cluster::verify_peer_reply(membership_.secret, nonce, parsed->id, *text,
                                  (*response)->headers().get(cluster::peer_headers::kProof)) ||
      (*response)->headers().get(cluster::peer_headers::kNode) != parsed->id) {
    co_return ApiError::server(502, "the answer is not signed by a node of this cluster");
  }
  co_return std::move(parsed.value());
}

net::Task<void> ClusterNode::heartbeat(cluster::HeartbeatTarget target) {
  net::ClientOptions options;
  const auto limit = std::clamp(registry_.timing().heartbeat_interval, std::chrono::milliseconds(1000),
                                std::chrono::milliseconds(5000));
  options.connect_timeout = limit;
  options.head_timeout = limit;
  options.read_idle_timeout = limit;
  options.tls = peer_tls_;
  const std::string base = base_of(target.path, options);
  if (std::holds_alternative<cluster::RelayPath>(target.path) && !options.connector) {
    registry_.heartbeat_failed(target.record, "no relay link", Clock::now());
    co_return;
  }
  auto answer = co_await exchange(base, target.to, options);
  auto now = Clock::now();
  // Lines about a heartbeat to an unverified path (most likely a made-up lead) are rate-limited.
  auto warn = [&](const std::string& line) {
    target.unverified ? log_limited(lead_log_, log::Level::kWarn, line) : log::warn(line);
  };
  if (answer) {
    std::string id = answer->id;
    size_t models = answer->models.size();
    auto done = registry_.heartbeat_done(target.record, std::move(*answer), now);
    if (!done) {
      warn("cluster: heartbeat to " + base + ": " + done.error().message);
    } else if (done->before != cluster::PeerState::kReachable) {
      log::info("cluster: node '" + done->name + "' (" + id + ") is reachable at " + base + " with " +
                std::to_string(models) + " model(s)");
    }
  } else if (auto t = registry_.heartbeat_failed(target.record, answer.error().message, now)) {
    if (t->after == cluster::PeerState::kUnreachable && t->before != cluster::PeerState::kUnreachable) {
      warn("cluster: node '" + log::printable(t->name) + "' is unreachable: " + answer.error().message);
    } else {
      log::debug("cluster: heartbeat to '" + t->name + "' failed: " + answer.error().message);
    }
  }
  wake();
}

}  // namespace quorum::node
