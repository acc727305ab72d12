// MdnsService: in-process mDNS discovery of the nodes of this node's cluster (no mDNS daemon needed; it binds
// UDP 5353 with address reuse, so it coexists with avahi-daemon on the same host).
//
// On start it joins 224.0.0.251 on the interface of each address in `self.addresses` (normally
// advertised_addresses()), announces this node three times
// (0, 1 and 3 s) and asks who else is there; then it answers queries for `_quorum._tcp.local`, re-announces
// every 60 s and asks again every 30 s. Announcements from nodes with another cluster fingerprint, and its
// own, are ignored. Every announcement of a node of this cluster is handed to `on_found`, and its goodbye to
// `on_goodbye` (the ClusterRegistry keeps the nodes: this service keeps no table of its own); stop() says
// goodbye (TTL 0) on every interface. Runs on one executor, which also runs the hooks.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cluster/mdns_records.h"
#include "core/result.h"
#include "net/http_types.h"

namespace quorum::cluster {

struct DiscoveryHooks {
  // A node of this cluster announced itself; `address` is the first announced address, dotted.
  std::function<void(const ServiceAnnouncement& announcement, const std::string& address)> on_found;
  // `from`: the address the goodbye came from (not authenticated: mDNS has no signatures).
  std::function<void(const std::string& id, const std::string& name, const std::string& from)> on_goodbye;
  // The addresses announced changed (dotted, preferred first); also called once at start.
  std::function<void(const std::vector<std::string>& addresses)> on_addresses;
};

// This host's IPv4 addresses for peers to reach it, preferred first: RFC 1918 LAN addresses, then other
// global ones, then VPN/overlay (100.64.0.0/10), link-local and container bridges (docker*, br-*, veth*,
// virbr*) last; loopback never.
std::vector<std::array<uint8_t, 4>> advertised_addresses();

// What discovery is doing, for `quorum nodes` and GET /v1/cluster/nodes (so a user can tell "no peer
// announces" from "this node cannot use multicast").
struct DiscoveryStatus {
  std::vector<std::string> interfaces;  // addresses whose interface joined the mDNS group
  size_t nodes_heard = 0;               // distinct nodes of this cluster heard since start
  size_t other_clusters = 0;            // distinct nodes of other clusters heard (ignored)
};

class MdnsService {
 public:
  // `follow_addresses`: every 3 s, compare advertised_addresses() with the announced ones and, when they
  // changed (Wi-Fi roaming, a new DHCP lease), join the new interfaces and announce the new addresses.
  MdnsService(const boost::asio::any_io_executor& executor, ServiceAnnouncement self, DiscoveryHooks hooks,
              bool follow_addresses = false);
  ~MdnsService();

  // Opens the socket and starts announcing and browsing. Fails (with the reason) when UDP 5353 cannot be
  // used.
  Status start();
  // Says goodbye and closes the socket. Idempotent.
  void stop();
  // Any thread.
  DiscoveryStatus status() const;

 private:
  net::Task<void> receive_loop();
  net::Task<void> announce_loop();
  net::Task<void> follow_loop();
  // Joins the group on `addresses` (leaving interfaces no longer listed) and makes the joined ones the
  // announced addresses.
  void join(const std::vector<std::array<uint8_t, 4>>& addresses);
  void send(const dns::Message& m);
  void on_packet(const uint8_t* data, size_t size, const boost::asio::ip::udp::endpoint& from);

  boost::asio::any_io_executor executor_;
  ServiceAnnouncement self_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer follow_timer_;
  bool follow_addresses_ = false;
  std::vector<boost::asio::ip::address_v4> interfaces_;
  DiscoveryHooks hooks_;
  bool stopped_ = false;
  std::set<std::string> known_;    // nodes announced and not gone, for logging "found" once
  std::set<std::string> ignored_;  // nodes of other clusters, logged once
  std::set<std::string> heard_;    // every node of this cluster heard since start
  mutable std::mutex status_mutex_;
  DiscoveryStatus status_;
};

}  // namespace quorum::cluster
