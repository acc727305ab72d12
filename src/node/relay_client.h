// RelayClient: the node's link to quorum-relay (when `quorum relay join` wrote relay.json; the file is looked
// for every few seconds, so joining or leaving needs no restart). It dials out — no inbound port — and keeps
// one WebSocket open:
//  - handshake: HELLO's challenge signed with the node's enrolled key (link/relay_auth.h);
//  - STATUS every kStatusInterval (the same status peers get in heartbeats);
//  - streams the relay opens: "api" (a client's request, whose key the relay checked) and "peer" (another
//    node of the cluster, TLS inside) are handed to the node's HTTP server as connections (Adopt);
//  - USAGE after each request of a relay client (counts only);
//  - reconnects with full-jitter backoff (kMinBackoff..kMaxBackoff, reset after a minute connected), or
//    when GOAWAY says, and at once after a DENY is fixed (relay.json changes);
//  - GOAWAY "moved" with a URL (several relays share one database and this cluster is homed at another one,
//    link/goaway.h): the next link goes to that URL; when it fails, or when that link ends without another
//    "moved", the one after goes back to relay.json's URL.
// Runs on one executor; report_usage() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "auth/key_book.h"
#include "cluster/membership.h"
#include "cluster/node_status.h"
#include "link/link_session.h"
#include "net/http_server.h"
#include "node/api/request_observers.h"

namespace quorum::node {

class RelayClient : public std::enable_shared_from_this<RelayClient> {
 public:
  static constexpr std::chrono::seconds kStatusInterval{5};
  static constexpr std::chrono::milliseconds kMinBackoff{250};
  static constexpr std::chrono::milliseconds kMaxBackoff{30000};

  using StatusFn = std::function<cluster::NodeStatus()>;
  using Adopt = std::function<void(net::asio::ip::tcp::socket, net::Arrival, std::string remote)>;

  RelayClient(net::asio::any_io_executor executor, std::string state_dir, cluster::NodeIdentity self,
              cluster::Membership membership, StatusFn status, Adopt adopt);

  void start();
  void stop();
  // USAGE for one request (a JSON object's text); dropped while the link is down.
  void report_usage(std::string payload);
  // A stream "peer" to node `node_id` through the relay, as a socket on `executor` (bytes the relay copies
  // to that node's link; the caller runs TLS with the cluster's key over it). Fails (502) while the link is
  // down or full. Any thread.
  net::Task<Result<net::asio::ip::tcp::socket>> open_peer_stream(std::string node_id,
                                                                 net::asio::any_io_executor executor);
  // The nodes of this cluster connected to the relay (id, name), whenever the relay says (NOTICE
  // "members"); an empty list and false when the link goes down. Set before start(); called on the
  // client's executor.
  std::function<void(const std::vector<std::pair<std::string, std::string>>&, bool link_up)> on_members;
  // The cluster's API keys as the relay sends them (NOTICE "keys"). Set before start().
  std::function<void(std::vector<auth::KeyEntry>)> on_keys;
  bool connected() const { return connected_.load(); }

 private:
  net::Task<void> run();
  // One connection, from dialling to its end; the delay before the next one.
  // One connection to `dial` (relay.json's URL, or where a GOAWAY "moved" sent this node), from dialling to
  // its end; the delay before the next one.
  net::Task<std::chrono::milliseconds> connect_once(const cluster::RelayMembership& relay, std::string dial);
  // STATUS every kStatusInterval while `session` is open; closes it when relay.json no longer names `url`.
  net::Task<void> status_loop(std::shared_ptr<link::LinkSession> session, std::string url);
  void on_open(const std::shared_ptr<link::LinkStream>& stream);

  net::asio::any_io_executor executor_;
  std::string state_dir_;
  cluster::NodeIdentity self_;
  cluster::Membership membership_;
  StatusFn status_;
  Adopt adopt_;
  std::shared_ptr<link::LinkSession> session_;
  std::atomic<bool> connected_{false};
  bool stopped_ = false;
  net::asio::steady_timer wake_;
  // Where the last link's GOAWAY "moved" sent this node; "" for relay.json's URL.
  std::string moved_to_;
  bool welcomed_ = false;  // the last connect_once() got past the handshake
};

// Reports each finished request of a relay client to the relay (USAGE: ids and token counts only).
class RelayUsageReporter final : public api::RequestObserver {
 public:
  explicit RelayUsageReporter(std::weak_ptr<RelayClient> client) : client_(std::move(client)) {}
  void request_done(const api::RequestRecord& record) override;

 private:
  std::weak_ptr<RelayClient> client_;
};

}  // namespace quorum::node
