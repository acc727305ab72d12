// The OpenAI-compatible API a node serves: routing of paths, authentication of callers, validation, the
// generation pipeline (engine events -> client stream or response), error shaping, keep-alives, cancellation.
//
// Threading: one Api is shared by every server thread; handle() runs on the calling connection's executor and
// every upstream call it makes runs there too. Shared state (registry, metrics) is thread-safe.
#pragma once

#include <atomic>

#include "cluster/membership.h"
#include "cluster/node_status.h"
#include "cluster/peer_proof.h"
#include "engines/registry.h"
#include "net/http_server.h"
#include "node/cluster_node.h"
#include "node/config.h"
#include "node/metrics.h"

namespace quorum::node {

class Api {
 public:
  // `self`: who this node is.
  Api(const NodeConfig& config, engines::EngineRegistry& registry, Metrics& metrics,
      cluster::NodeIdentity self);
  // Where peers reach this node (for heartbeats and GET /v1/cluster/nodes). Set before serving.
  void set_address(std::string address, unsigned short port) {
    self_address_ = std::move(address);
    self_port_ = port;
  }
  // Not a coroutine: it checks the caller, picks the endpoint and returns that endpoint's coroutine, so no
  // frame of its own stays allocated for the length of a stream. `request` and `writer` must outlive the
  // returned task (the server's connection loop owns both).
  net::Task<void> handle(net::HttpRequest& request, net::ResponseWriter& writer);
  // The node's cluster: its members may call from other machines with a peer proof (cluster/peer_proof.h),
  // and requests for models that peers hold are forwarded to them. Without one (null), only loopback callers
  // are served and only local engines are used. Set before serving.
  void set_cluster(ClusterNode* cluster) { cluster_ = cluster; }
  // What this node tells its peers in heartbeats: its own engines' models, in-flight requests, capacity.
  cluster::NodeStatus local_status() const;

 private:
  // Endpoint coroutines take what they keep by value: handle()'s locals are gone when they run.
  net::Task<void> generate(net::HttpRequest& request, net::ResponseWriter& writer, wire::GenerationKind kind,
                           std::string request_id);
  net::Task<void> embeddings(net::HttpRequest& request, net::ResponseWriter& writer, std::string request_id);
  net::Task<void> list_models(net::ResponseWriter& writer, std::string request_id);
  net::Task<void> get_model(std::string id, net::ResponseWriter& writer, std::string request_id);
  net::Task<void> health(net::ResponseWriter& writer);
  net::Task<void> cluster_nodes(net::ResponseWriter& writer);
  // Prometheus gauges of the cluster (nodes by state, requests forwarded to each peer); empty outside one.
  std::string cluster_metrics() const;
  net::Task<void> heartbeat(net::HttpRequest& request, net::ResponseWriter& writer, std::string request_id);

  const NodeConfig& config_;
  engines::EngineRegistry& registry_;
  Metrics& metrics_;
  cluster::NodeIdentity self_;
  std::string self_address_;
  unsigned short self_port_ = 0;
  ClusterNode* cluster_ = nullptr;
  cluster::PeerVerifier peer_verifier_;
  std::atomic<int> in_flight_{0};  // generations on this node's own engines
};

}  // namespace quorum::node
