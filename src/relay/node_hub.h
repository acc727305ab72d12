// NodeHub: the relay's switchboard. It takes the WebSockets nodes open to /v1/relay/connect, runs the link
// handshake, keeps the nodes that passed it (one per node id: the newest connection wins, the old one is told
// GOAWAY "replaced"), and knows what each reported in its last STATUS. Runs on one executor.
//
// Handshake: HELLO {relay_id, challenge} → AUTH {node_id, cluster_id, signature} within kAuthTimeout →
// WELCOME {relay_id, node_id} or DENY {code, message} and close. The node must be enrolled (store), not
// revoked, in a cluster that is not revoked, and sign link_auth_message() with its enrolled key.
//
// After it: STATUS frames update the node's models and load; USAGE frames add to the day's usage of its
// cluster (counts only, summed in memory and written every kUsageFlush); a node that opens a stream "peer" to
// another connected node of its own cluster is joined to it (the relay copies bytes both ways, which are TLS
// between the two nodes: it can read or alter none of them); anything else is reset. Whenever a node of a
// cluster connects or leaves, every node of that cluster gets the list of its connected nodes (NOTICE
// {"type":"members","nodes":[{id,name}]}), so that nodes on different networks find each other.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/node_status.h"
#include "link/link_session.h"
#include "net/http_server.h"
#include "relay/store.h"
#include "relay/usage_batch.h"

namespace quorum::relay {

struct ConnectedNode {
  std::string id;
  std::string cluster_id;
  std::string name;  // as its last STATUS gives it (as enrolled until then)
  std::string address;
  std::shared_ptr<link::LinkSession> session;
  cluster::NodeStatus status;
  bool has_status = false;
  UnixSeconds connected_at = 0;  // when this link was admitted
  int relayed = 0;               // requests the relay carries to it now
  // Its row in node_sessions, once the store gave it (session_recorded); a link that closes before then is
  // recorded as closed by the coroutine that opened the row (closed_reason).
  int64_t session_row = 0;
  bool session_recorded = false;
  std::optional<std::string> closed_reason;
  // The key lists asked of the store for it, and the newest one sent: a list read earlier that completes
  // later (the PostgreSQL store runs reads at once) is not sent over a newer one.
  uint64_t keys_asked = 0;
  uint64_t keys_sent = 0;
};

class NodeHub {
 public:
  static constexpr std::chrono::seconds kAuthTimeout{10};

  NodeHub(net::asio::any_io_executor executor, Store& store, std::string relay_id);

  // The ServerOptions::WebSocketEndpoint callback.
  void accept(net::WebSocket ws, const net::RequestHead& head);

  // Connected nodes of `cluster_id` that offer `model`.
  std::vector<std::shared_ptr<ConnectedNode>> holders(const std::string& cluster_id,
                                                      const std::string& model) const;
  std::vector<std::shared_ptr<ConnectedNode>> nodes_of(const std::string& cluster_id) const;
  std::shared_ptr<ConnectedNode> node(const std::string& id) const;
  std::vector<std::shared_ptr<ConnectedNode>> all_nodes() const;

  // Drops a node's link now (a revoked node), or every node of a cluster.
  void disconnect(const std::string& node_id, const std::string& reason);
  void disconnect_cluster(const std::string& cluster_id, const std::string& reason);
  // Tells every node to reconnect in about `reconnect_in` (a restart), then closes the links.
  void go_away(const std::string& reason, std::chrono::milliseconds reconnect_in);

  // Each USAGE frame that names the request it ends (the relay's X-Request-Id) and its tokens.
  std::function<void(const std::string& request_id, uint64_t tokens)> on_usage;

  // The dashboard's live view (dashboard_events.h), on the hub's executor: a node of a cluster connected,
  // left,
  // (`online` false) or sent a STATUS that differs from its last one; usage rows were written to the store.
  std::function<void(const ConnectedNode& node, bool online)> on_node_changed;
  std::function<void(const std::vector<UsageRecord>& rows)> on_usage_written;

  // Writes the usage gathered since the last call (the relay calls it every kUsageFlush and at shutdown);
  // rows the store cannot take now are kept for the next call.
  net::Task<void> flush_usage();
  static constexpr std::chrono::seconds kUsageFlush{5};

  size_t connected() const { return nodes_.size(); }
  size_t open_streams() const;
  size_t queued_bytes() const;

 private:
  net::Task<void> handshake(std::shared_ptr<net::WebSocket> ws);
  void admit(const std::shared_ptr<ConnectedNode>& node);
  void on_link_frame(const std::shared_ptr<ConnectedNode>& node, const link::Frame& frame);
  void on_open(const std::shared_ptr<ConnectedNode>& from, const std::shared_ptr<link::LinkStream>& stream);
  // Tells every connected node of `cluster_id` which of its nodes are connected now (NOTICE "members").
  void tell_members(const std::string& cluster_id);
  // Sends `node` (or, with a cluster id, every connected node of it) the cluster's API keys as hashes
  // (NOTICE "keys", auth/key_book.h), so that they work on the nodes' LAN listeners too.
  // Reads the cluster's keys and sends them to the node (in a coroutine of its own).
  void send_keys(const std::shared_ptr<ConnectedNode>& node);
  net::Task<void> send_keys_now(std::shared_ptr<ConnectedNode> node, uint64_t asked);
  net::Task<void> open_session(std::shared_ptr<ConnectedNode> node);
  net::Task<void> close_session(int64_t row, std::string reason);

 public:
  // The cluster's keys changed (made, revoked): every connected node of it gets the new list at once.
  void keys_changed(const std::string& cluster_id);

 private:
  net::asio::any_io_executor executor_;
  Store& store_;
  std::string relay_id_;
  std::map<std::string, std::shared_ptr<ConnectedNode>> nodes_;
  UsageBatch usage_;
};

}  // namespace quorum::relay
