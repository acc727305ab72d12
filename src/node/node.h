// `quorum node`: the node as one object, built at start-up and served until SIGINT or SIGTERM.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "cluster/membership.h"
#include "engines/registry.h"
#include "net/http_server.h"
#include "node/api/api.h"
#include "node/cluster_node.h"
#include "node/config.h"
#include "node/listeners.h"
#include "node/metrics.h"
#include "node/node_ui.h"
#include "node/node_update.h"
#include "node/relay_client.h"
#include "node/ui/ui_endpoints.h"

namespace quorum::node {

// A node owns its parts as members, in the order they are built, each from the ones before it: who it is
// (identity and cluster membership), its engines, metrics, the Api, the intake, the listeners (one io_context
// per thread and the HttpServers on them) and its side of the cluster. They are taken apart in reverse order,
// which is the order they need: the cluster goes before the contexts, whose executor it uses, and the
// contexts go before the Api, metrics and engines, which the coroutines a stopped context still holds (a
// response cut by the grace period) refer to.
//
// Threading: `threads` io_contexts, one thread each; each has its own listener on the same port
// (SO_REUSEPORT) and serves its connections, and their engine calls, start to finish. The first also runs
// the engine watch loop, the cluster and the signal handling. create() and run() belong to one thread.
class Node {
  struct Key {
    explicit Key() = default;
  };

 public:
  // The node of `config`: state directory, identity (renamed by --name), membership, engines, listeners
  // (bound, not accepting yet), cluster (started; it announces once run() runs). Null, with the
  // reason logged, when it cannot start: a state directory that cannot be made or read, a bad --name, a
  // malformed --model, a bad --advertise, the port in use.
  static std::unique_ptr<Node> create(NodeConfig config);

  // Only create() can call it (it alone makes a Key).
  Node(Key, NodeConfig config, cluster::NodeIdentity identity, std::optional<cluster::Membership> membership);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Serves until SIGINT or SIGTERM (or a restart asked from the node's page); then stops accepting, lets
  // responses in progress finish (up to 10 s, until every listener has drained), stops the engines and
  // returns the exit code, 0. Once.
  int run();

  // After run(): the page asked for a fresh start (relaunch.h), without these options of the command line.
  bool relaunch_requested() const { return relaunch_; }
  const std::vector<std::string>& relaunch_without() const { return relaunch_drop_; }
  const std::string& ui_token() const { return ui_context_->token; }
  // After run(): an update was installed; relaunch into it (node/update_relaunch.h).
  const std::optional<UpdateHandoff>& update_handoff() const { return update_handoff_; }
  // The loopback URL of this node's /health (the update's watchdog probes it).
  std::string health_url() const;

 private:
  // The build steps after construction, in order; false when the node cannot start, the reason logged.
  bool add_engines();
  std::optional<ListenPlan> open_listeners();
  void join_cluster(const ListenPlan& plan);
  // The local UI: its view of the node, its endpoints on the API's listener (node_ui.h).
  void open_ui();
  // From the UI's worker thread: stop as at SIGTERM, then re-execute without `drop`.
  void restart(const std::string& reason, std::vector<std::string> drop);
  // From the update's worker: stop as at SIGTERM (requests in flight finish), then relaunch into `handoff`.
  void restart_for_update(UpdateHandoff handoff);
  // One HttpServer per thread on `listener.host`, all or none, so that servers_[k] runs on
  // contexts_[k % threads]. Throws std::system_error when one cannot be bound.
  void open(const Listener& listener);
  // On the first context, at SIGINT or SIGTERM: every server stops accepting; the contexts stop once all
  // have drained, or when `grace` expires.
  void drain(boost::asio::steady_timer& grace);
  void stop_contexts();

  NodeConfig config_;
  cluster::NodeIdentity identity_;
  std::optional<cluster::Membership> membership_;  // empty outside a cluster
  engines::EngineRegistry registry_;
  Metrics metrics_;
  Api api_;
  // What the listeners take in before callers are known, shared by all of them (descriptor limit raised).
  std::shared_ptr<net::Intake> intake_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;  // one per thread
  std::vector<std::unique_ptr<net::HttpServer>> servers_;           // servers_[k] on contexts_[k % threads]
  unsigned short port_ = 0;                                         // the one every listener has
  std::unique_ptr<ClusterNode> cluster_;                            // null outside a cluster
  std::shared_ptr<RelayClient> relay_;                              // null outside a cluster
  std::shared_ptr<engines::llamacpp::LlamaCppBackend> embedded_;    // null with --no-embedded
  // The UI goes first (its worker thread joined, then its view), while what it looks at still stands.
  std::shared_ptr<NodeUpdate> update_;  // the self-update; stopped before the UI goes
  std::unique_ptr<NodeUi> ui_;
  std::unique_ptr<ui::UiContext> ui_context_;
  // The restart asked from the page: set by restart() on the UI's worker, read after run().
  std::mutex stop_mutex_;
  std::function<void(std::string)> stop_;  // set while run() serves: stops the node (any thread)
  bool relaunch_ = false;
  std::vector<std::string> relaunch_drop_;
  std::optional<UpdateHandoff> update_handoff_;
};

// Node::create() and run(): the process exit code (1 when the node cannot start).
int run_node(NodeConfig config);

}  // namespace quorum::node
