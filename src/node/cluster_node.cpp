#include "node/cluster_node.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "cluster/peer_proof.h"
#include "core/log.h"
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
  return t;
}

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
      config_(config),
      local_status_(std::move(local_status)),
      registry_(self_.id, timing_from(config)),
      timer_(executor) {}

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
    self.version = QUORUM_VERSION;
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
  asio::post(executor_, [this] { timer_.cancel(); });
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
      log::info("cluster: a goodbye for node '" + name + "' (" + id + ") came from " + from +
                ", not its address: checking it with a heartbeat");
      wake();
      break;
    case cluster::GoodbyeResult::kUnknown:
      break;
  }
}

cluster::NodeStatus ClusterNode::on_heartbeat(const cluster::NodeStatus& caller,
                                              const std::string& remote_address) {
  if (registry_.called_by(caller, remote_address, Clock::now())) wake();
  return local_status_();
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
  // The first LAN path (today the only kind, and at most one per node).
  const cluster::LanPath* lan = nullptr;
  for (const auto& path : reach->paths) {
    if ((lan = std::get_if<cluster::LanPath>(&path))) break;
  }
  if (!lan) return nullptr;
  std::string url = http_base(lan->address, lan->port);
  std::lock_guard lock(clients_mutex_);
  auto& client = clients_[node_id];
  if (!client.backend || client.url != url) {
    net::ClientOptions options;
    options.connect_timeout = std::chrono::milliseconds(2000);
    // The peer sends SSE keep-alives while it waits for the first token, and tokens after that: a minute of
    // silence means it is gone (asleep, or off the network).
    options.read_idle_timeout = std::chrono::milliseconds(60000);
    options.head_timeout = std::chrono::milliseconds(60000);  // its head comes with the first keep-alive
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
      log::info("cluster: node '" + name + "' removed: silent for more than " +
                seconds_text(registry_.timing().prune_after));
    }
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

net::Task<void> ClusterNode::heartbeat(cluster::HeartbeatTarget target) {
  const std::string path = "/v1/cluster/heartbeat";
  std::string body = json::serialize(cluster::status_to_json(local_status_()));
  net::Headers headers;
  headers.add("Content-Type", "application/json");
  sign(headers, target.to, "POST", path, body);
  const std::string nonce(headers.get(cluster::peer_headers::kNonce));
  net::ClientOptions options;
  const auto limit = std::clamp(registry_.timing().heartbeat_interval, std::chrono::milliseconds(1000),
                                std::chrono::milliseconds(5000));
  options.connect_timeout = limit;
  options.head_timeout = limit;
  options.read_idle_timeout = limit;
  // Over the LAN, the only kind of path today (a new kind fails to compile here until it has a heartbeat).
  const std::string base =
      std::visit([](const cluster::LanPath& lan) { return http_base(lan.address, lan.port); }, target.path);
  std::string url = base + path;
  std::string error;
  std::optional<cluster::NodeStatus> answer;
  auto response = co_await net::http_request("POST", url, std::move(headers), std::move(body), options);
  if (!response) {
    error = response.error().message;
  } else {
    auto text = co_await (*response)->read_all(size_t{4} << 20);
    if (!text) {
      error = text.error().message;
    } else if ((*response)->status() != 200) {
      error = "HTTP " + std::to_string((*response)->status()) + ": " + text->substr(0, 300);
    } else if (auto parsed = cluster::parse_node_status(*text); !parsed) {
      error = parsed.error().message;
    } else if (!cluster::verify_peer_reply(membership_.secret, nonce, parsed->id, *text,
                                           (*response)->headers().get(cluster::peer_headers::kProof)) ||
               (*response)->headers().get(cluster::peer_headers::kNode) != parsed->id) {
      error = "the answer is not signed by a node of this cluster";
    } else {
      answer = std::move(parsed.value());
    }
  }
  auto now = Clock::now();
  if (answer) {
    std::string id = answer->id;
    size_t models = answer->models.size();
    auto done = registry_.heartbeat_done(target.record, std::move(*answer), now);
    if (!done) {
      log::warn("cluster: heartbeat to " + url + ": " + done.error().message);
    } else if (done->before != cluster::PeerState::kReachable) {
      log::info("cluster: node '" + done->name + "' (" + id + ") is reachable at " + base + " with " +
                std::to_string(models) + " model(s)");
    }
  } else if (auto t = registry_.heartbeat_failed(target.record, error, now)) {
    if (t->after == cluster::PeerState::kUnreachable && t->before != cluster::PeerState::kUnreachable) {
      log::warn("cluster: node '" + t->name + "' is unreachable: " + error);
    } else {
      log::debug("cluster: heartbeat to '" + t->name + "' failed: " + error);
    }
  }
  wake();
}

}  // namespace quorum::node
