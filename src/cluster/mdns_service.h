// MdnsService: in-process mDNS discovery of the nodes of this node's cluster (no mDNS daemon needed; it binds
// UDP 5353 with address reuse, so it coexists with avahi-daemon on the same host).
//
// On start it joins 224.0.0.251 on the interface of each address in `self.addresses` (normally
// advertised_addresses()), announces this node three times
// (0, 1 and 3 s) and asks who else is there; then it answers queries for `_quorum._tcp.local`, re-announces
// every 60 s and asks again every 30 s. Announcements from nodes with another cluster fingerprint, and its
// own, are ignored. Every announcement of a node of this cluster is handed to `on_found`, and its goodbye to
// `on_goodbye` (the ClusterRegistry keeps the nodes); stop() says goodbye (TTL 0) on every interface. Runs
// on one executor, which also runs the hooks.
//
// What anyone on the LAN can send it costs bounded work (the fingerprint is public, so announcements of
// made-up nodes of this cluster are easy to forge):
//  - a packet is read only when its source is on the link it arrived on (mdns_links.h): not from beyond a
//    router; and at most kMaxAnnouncementsPerPacket nodes are read from one packet;
//  - a query is answered on the interface it arrived on, at most once a second there (answer_pacer.h);
//  - the ids it remembers (to log a node once, and to count them for status()) are in bounded tables that
//    forget what was not heard for a while (RecentKeys); log lines about nodes heard are rate-limited
//    (LogBudget), the ones held back counted in the next line or in a summary.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/answer_pacer.h"
#include "cluster/mdns_links.h"
#include "cluster/mdns_records.h"
#include "core/rate_limit.h"
#include "core/recent_keys.h"
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
  // Distinct nodes of this cluster heard (those heard in the last hour, at most 1024).
  size_t nodes_heard = 0;
  // Distinct nodes of other clusters heard, and ignored (in the last 10 minutes, at most 256).
  size_t other_clusters = 0;
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
  // Every 3 s: re-reads the interfaces, forgets old ids, logs what was held back, and (follow_addresses)
  // follows this host's addresses.
  net::Task<void> tick_loop();
  // Sends the answers the pacer deferred, when they are due.
  net::Task<void> answer_loop();
  // Joins the group on `addresses` (leaving interfaces no longer listed) and makes the joined ones the
  // announced addresses.
  void join(const std::vector<std::array<uint8_t, 4>>& addresses);
  // Multicasts `m` on every joined interface, or only on those of interface `link` (an index).
  void send(const dns::Message& m, std::optional<unsigned> link = std::nullopt);
  // Re-reads this host's interface addresses (at most once a second unless `force`).
  void refresh_links(bool force);
  // A datagram arrived from `from` on interface `link` (0: unknown).
  void on_packet(const uint8_t* data, size_t size, const boost::asio::ip::udp::endpoint& from, unsigned link);
  void answer_query(unsigned link);
  void heard(const ServiceAnnouncement& a, const std::string& from);
  void update_counts();

  boost::asio::any_io_executor executor_;
  ServiceAnnouncement self_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer answer_timer_;
  bool follow_addresses_ = false;
  std::vector<boost::asio::ip::address_v4> interfaces_;
  DiscoveryHooks hooks_;
  bool stopped_ = false;
  std::vector<InterfaceAddress> links_;  // this host's IPv4 addresses, by interface
  std::optional<RateClock::time_point> links_read_;
  AnswerPacer pacer_;
  RecentKeys known_;    // nodes announced and not gone, for logging "found" once
  RecentKeys ignored_;  // nodes of other clusters, logged once
  RecentKeys heard_;    // nodes of this cluster heard
  LogBudget found_log_;
  LogBudget ignored_log_;
  LogBudget off_link_log_;
  RateClock::time_point answer_due_ = RateClock::time_point::max();  // what answer_loop waits for
  mutable std::mutex status_mutex_;
  DiscoveryStatus status_;
};

}  // namespace quorum::cluster
