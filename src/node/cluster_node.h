// ClusterNode: this node's side of the LAN cluster. It owns the ClusterRegistry and the mDNS service, feeds
// the registry from mDNS, --peer and heartbeats (both the ones it sends and the ones it receives), and makes
// the signed OpenAI clients through which the router forwards requests to peers.
//
// Heartbeat: POST /v1/cluster/heartbeat, signed (cluster/peer_proof.h) and addressed to the node called,
// whose body is the caller's NodeStatus and whose answer is the callee's, so one exchange tells each side
// about the other and a --peer given on one side only is enough. A --peer whose id is not known (or whose
// last heartbeat failed) is first asked who it is: GET /v1/cluster/identity, the only request signed for
// nobody in particular, which changes nothing at the callee; its signed answer names the node the heartbeat
// is then addressed to, so that a captured heartbeat is valid at no other node. Presence rules:
// cluster/cluster_registry.h. What this node tells its peers leaves out the models they could not take
// (cluster::shareable_status), each logged once.
//
// Log lines about what strangers cause (leads that never answer, goodbyes from elsewhere, leads displaced
// by a flood of announcements) are rate-limited, the ones held back counted.
//
// Threading: the heartbeat loop and the mDNS hooks run on the executor given at construction; everything
// else may be called from any thread.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "cluster/cluster_registry.h"
#include "cluster/mdns_records.h"
#include "cluster/mdns_service.h"
#include "cluster/membership.h"
#include "core/log.h"
#include "core/rate_limit.h"
#include "core/recent_keys.h"
#include "core/subscription.h"
#include "engines/openai_backend.h"
#include "net/http_client.h"
#include "net/peer_tls.h"
#include "node/config.h"

namespace quorum::node {

class ClusterNode {
 public:
  using StatusSource = std::function<cluster::NodeStatus()>;

  ClusterNode(const boost::asio::any_io_executor& executor, cluster::NodeIdentity self,
              cluster::Membership membership, const ClusterConfig& config, StatusSource local_status);

  const cluster::Membership& membership() const { return membership_; }
  const cluster::NodeIdentity& self() const { return self_; }
  cluster::ClusterRegistry& registry() { return registry_; }
  const cluster::ClusterRegistry& registry() const { return registry_; }

  // Starts mDNS (announcing `addresses` with the API `port`, unless --no-mdns) and heartbeats (to the --peer
  // nodes at once). stop() says goodbye and ends both; idempotent. Both on the executor.
  // `follow_addresses`: keep announcing this host's current LAN addresses as they change (see MdnsService).
  void start(unsigned short port, const std::vector<std::array<uint8_t, 4>>& addresses,
             bool follow_addresses);
  void stop();
  // What mDNS is doing (nullopt when it is off). Any thread.
  std::optional<cluster::DiscoveryStatus> discovery_status() const;
  // The address peers reach this node at now (the first announced one; empty when none). Any thread.
  std::string self_address() const;
  // A peer's heartbeat arrived from `remote_address` (already authenticated). Returns this node's status, as
  // its peers can take it (own_status()).
  cluster::NodeStatus on_heartbeat(const cluster::NodeStatus& caller, const std::string& remote_address);
  // This node's status as told to peers: the local status without what they could not take (logged once
  // per model id). Any thread.
  cluster::NodeStatus own_status();

  // How this node opens a stream to another node through its relay link (RelayClient::open_peer_stream): a
  // socket on `executor` whose bytes the relay carries to `node_id`. Set once, before the link connects.
  using RelayConnector = std::function<net::Task<Result<boost::asio::ip::tcp::socket>>(
      std::string node_id, boost::asio::any_io_executor executor)>;
  void set_relay_connector(RelayConnector connector) { relay_connector_ = std::move(connector); }
  // What the relay says about this cluster's nodes connected to it (RelayClient): `members` now (id, name);
  // an empty list and `link_up` false when the link went down. Any thread.
  void on_relay_members(const std::vector<std::pair<std::string, std::string>>& members, bool link_up);

  // The OpenAI client that forwards to node `node_id` by the path this node chooses (the one that answered
  // its last heartbeat: LAN, or the relay),
  // signing each request and marking it as forwarded. Null when the node is unknown or has no path; whether
  // it is reachable now is the registry's to say. Any thread.
  std::shared_ptr<engines::Backend> peer_backend(const std::string& node_id);

  // While a request is forwarded to a peer: when that peer becomes unreachable (its heartbeats fail) or is
  // removed, `on_lost` is posted to `executor`, once. A sleeping or unplugged machine leaves its TCP
  // connections open and silent; this ends the streams it held within seconds instead of at the read
  // timeout. `on_lost` is posted at once when the peer is not reachable now. Stops when the Subscription is
  // destroyed, which is safe after this ClusterNode is gone. Any thread.
  Subscription watch_peer(const std::string& node_id, boost::asio::any_io_executor executor,
                          std::function<void()> on_lost);

 private:
  net::Task<void> heartbeat_loop();
  net::Task<void> heartbeat(cluster::HeartbeatTarget target);
  // One heartbeat exchange with the node at `base`, addressed to `to` (identify()ing it first when empty):
  // its verified status, or why there is none.
  net::Task<Result<cluster::NodeStatus>> exchange(std::string base, std::string to,
                                                  net::ClientOptions options);
  // Who answers at `base`: GET /v1/cluster/identity, signed for nobody in particular; the node id in its
  // signed answer, or why there is none.
  net::Task<Result<std::string>> identify(std::string base, net::ClientOptions options);
  // Logs a line about what a stranger caused within `budget` (one of the *_log_ below). Any thread.
  void log_limited(LogBudget& budget, log::Level level, const std::string& line);
  // Says how many lines `budget` held back and has not told of yet, if any. Any thread.
  void summarise(LogBudget& budget, const std::string& about);
  // Makes the loop look at the registry again (a heartbeat became due early). Any thread.
  void wake();
  // Adds the peer proof of a request to node `to` (cluster/peer_proof.h).
  void sign(net::Headers& headers, std::string_view to, std::string_view method, std::string_view target,
            std::string_view body) const;
  // mDNS: a node of this cluster announced itself, or said goodbye.
  void on_announced(const cluster::ServiceAnnouncement& announcement, const std::string& address);
  void on_goodbye(const std::string& id, const std::string& name, const std::string& from);

  // The base URL and client options of a request to a peer over `path`.
  std::string base_of(const cluster::PeerPath& path, net::ClientOptions& options) const;

  boost::asio::any_io_executor executor_;
  RelayConnector relay_connector_;
  std::mutex relay_mutex_;
  std::set<std::string> relay_members_;  // under relay_mutex_
  cluster::NodeIdentity self_;
  cluster::Membership membership_;
  std::shared_ptr<const net::PeerTls> peer_tls_;  // every request to a peer goes in a TLS session with it
  ClusterConfig config_;
  StatusSource local_status_;
  cluster::ClusterRegistry registry_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
  std::atomic<bool> wake_posted_{false};  // a wake() is on its way: more need not be posted
  uint64_t displaced_logged_ = 0;         // leads displaced, as last logged (heartbeat loop only)
  cluster::RegistryClock::time_point displaced_log_at_{};
  std::mutex log_mutex_;
  LogBudget lead_log_;     // lines about leads (unreachable, pruned, answered as another); under log_mutex_
  LogBudget goodbye_log_;  // lines about goodbyes from elsewhere; under log_mutex_
  RecentKeys models_left_out_;                  // model ids already logged as left out; under log_mutex_
  std::unique_ptr<cluster::MdnsService> mdns_;  // set once in start(), then only read
  mutable std::mutex address_mutex_;
  std::string self_address_;

  struct PeerClient {
    std::string url;
    std::shared_ptr<engines::Backend> backend;
  };
  std::mutex clients_mutex_;
  std::map<std::string, PeerClient> clients_;  // by node id
};

// The TLS key of the cluster's peer traffic (cluster/peer_tls_key.h) as the HTTP client and server use it.
std::shared_ptr<const net::PeerTls> peer_tls_for(const cluster::Membership& membership);

// "http://HOST:PORT", with brackets around an IPv6 literal.
std::string http_base(const std::string& host, unsigned short port);

}  // namespace quorum::node
