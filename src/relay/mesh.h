// Mesh: this relay's part in a group of relays sharing one database (docs/relay.md, "Several relays").
//
//  - Registry: join() registers the relay (its id and advertised URL) and reads the shared mesh secret; every
//    kRelayHeartbeat it refreshes its row and reads which relays are live (seen within kRelayLiveFor). This
//    relay always counts itself live. leave() deletes its row on a clean shutdown.
//  - Requests (route(), called by RelayApi for /v1/*): a request whose key's cluster is homed at another
//    live relay (mesh_home.h) goes there one hop, signed with the mesh secret, its answer streamed back as
//    it comes (an SSE stream stays a stream). The home checks the key and its limits and counts usage, as
//    for a request of its own. A request that arrives signed is served here, never forwarded again; one
//    with a mesh header that does not prove itself is refused (401). A home that cannot be reached is a 503
//    (relay_unavailable) until the registry drops it and the cluster moves.
//  - Control requests (route_control(), /v1/relay/* but enrolment: `quorum keys`, `quorum usage`, `quorum
//    nodes`), signed by an enrolled node: forwarded the same way to the home of that node's cluster, where
//    its nodes are linked (so a key made or revoked anywhere reaches them at once, and "online" is true).
//  - Dashboard (route_cluster(), for /api/clusters/{id}/…, once the receiving relay has checked CSRF and the
//    session; the home checks the membership): forwarded the same way, with the session cookie, to the
//    cluster's home, where its nodes are linked and its live events happen (snapshot, fleet, events stream).
//    The home serves a signed request without checking CSRF again (the browser's Origin was checked where it
//    arrived).
//  - Node links: every kMoveCheck, a connected node whose cluster is homed elsewhere is told GOAWAY "moved"
//    with the home's URL (link/goaway.h); its link is closed once no stream runs on it, or kMoveGrace after.
//    Until then it keeps serving the requests that reach this relay.
// Runs on the relay's one executor.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/http_server.h"
#include "relay/mesh_registry.h"
#include "relay/node_hub.h"
#include "relay/store.h"

namespace quorum::relay {

class Mesh {
 public:
  static constexpr std::chrono::milliseconds kMoveCheck{500};
  static constexpr std::chrono::seconds kMoveGrace{10};

  Mesh(net::asio::any_io_executor executor, Store& store, NodeHub& hub, std::string self_id,
       std::string advertise);

  // Registers this relay, reads the mesh secret and the live relays. Before the relay serves.
  net::Task<Status> join();
  // The registry's heartbeat and the check of misplaced nodes, until stop().
  void start();
  void stop();
  // Deletes this relay's row (a clean shutdown: its clusters move at once, not kRelayLiveFor later).
  net::Task<void> leave();

  // True when the request was answered here (forwarded to its home relay, or refused); false: the caller
  // serves it as usual.
  net::Task<bool> route(net::HttpRequest& request, net::ResponseWriter& writer);
  // The same for a control request (RelayApi::control, before its signature is checked).
  net::Task<bool> route_control(net::HttpRequest& request, net::ResponseWriter& writer);

  // A dashboard request for `cluster_id` (DashboardApi's route_cluster hook): true when it was forwarded to
  // the cluster's home relay and answered; false: served here.
  net::Task<bool> route_cluster(std::string cluster_id, net::HttpRequest& request,
                                net::ResponseWriter& writer);

  enum class Inbound { kFromClient, kFromRelay, kRefused };
  // Whether `request` was forwarded by a relay of this group (it proves it), comes from a client, or carries
  // mesh headers that prove nothing (then answered here: 401).
  net::Task<Inbound> inbound(net::HttpRequest& request, net::ResponseWriter& writer);

  // The home relay of `cluster_id` among the live relays as this relay last read them.
  RelayRecord home_of(const std::string& cluster_id) const;
  const std::vector<RelayRecord>& live() const { return live_; }
  uint64_t forwarded_out() const { return forwarded_out_; }
  uint64_t forwarded_in() const { return forwarded_in_; }

 private:
  net::Task<void> loop();
  net::Task<void> refresh();
  void move_misplaced();
  net::Task<std::optional<std::string>> cluster_of_key(std::string key_id);
  net::Task<std::optional<std::string>> cluster_of_node(std::string node_id);
  // `with_cookie`: the browser's Cookie header goes along (a dashboard request).
  net::Task<void> forward(RelayRecord home, net::HttpRequest& request, net::ResponseWriter& writer,
                          bool with_cookie = false);

  net::asio::any_io_executor executor_;
  Store& store_;
  NodeHub& hub_;
  std::string self_id_;
  std::string advertise_;
  std::string secret_;
  std::vector<RelayRecord> live_;  // by id; this relay always among them
  // Key and node ids → their cluster (neither ever changes cluster).
  std::map<std::string, std::string> key_clusters_;
  std::map<std::string, std::string> node_clusters_;
  // Links told to move, and when: closed when idle or kMoveGrace later.
  std::map<std::shared_ptr<link::LinkSession>, std::chrono::steady_clock::time_point> told_;
  std::shared_ptr<net::asio::steady_timer> timer_;
  bool registry_failing_ = false;
  uint64_t forwarded_out_ = 0;
  uint64_t forwarded_in_ = 0;
};

}  // namespace quorum::relay
