// The OpenAI-compatible API a node serves: routing of paths, authentication of callers, validation, the
// generation pipeline (engine events -> client stream or response), error shaping, keep-alives, cancellation.
//
// Threading: one Api is shared by every server thread; handle() runs on the calling connection's executor and
// every upstream call it makes runs there too. Shared state (registry, metrics) is thread-safe.
#pragma once

#include <optional>

#include "cluster/mdns_service.h"
#include "cluster/membership.h"
#include "cluster/peer_proof.h"
#include "engines/registry.h"
#include "net/http_server.h"
#include "node/config.h"
#include "node/metrics.h"

namespace quorum::node {

class Api {
 public:
  // `membership`: the node's cluster, whose members may call from other machines with a peer proof (see
  // cluster/peer_proof.h); without one, only loopback callers are served.
  Api(const NodeConfig& config, engines::EngineRegistry& registry, Metrics& metrics,
      std::optional<cluster::Membership> membership = std::nullopt);
  // Not a coroutine: it checks the caller, picks the endpoint and returns that endpoint's coroutine, so no
  // frame of its own stays allocated for the length of a stream. `request` and `writer` must outlive the
  // returned task (the server's connection loop owns both).
  net::Task<void> handle(net::HttpRequest& request, net::ResponseWriter& writer);
  // The nodes found on the LAN, for GET /v1/cluster/nodes. Set before serving; may stay null.
  void set_discovery(const cluster::MdnsService* discovery) { discovery_ = discovery; }
  // Who this node is, for GET /v1/cluster/nodes.
  void set_self(cluster::NodeIdentity identity, std::string address, unsigned short port) {
    self_ = std::move(identity);
    self_address_ = std::move(address);
    self_port_ = port;
  }

 private:
  // Endpoint coroutines take what they keep by value: handle()'s locals are gone when they run.
  net::Task<void> generate(net::HttpRequest& request, net::ResponseWriter& writer, wire::GenerationKind kind,
                           std::string request_id);
  net::Task<void> embeddings(net::HttpRequest& request, net::ResponseWriter& writer, std::string request_id);
  net::Task<void> list_models(net::ResponseWriter& writer, std::string request_id);
  net::Task<void> get_model(std::string id, net::ResponseWriter& writer, std::string request_id);
  net::Task<void> health(net::ResponseWriter& writer);
  net::Task<void> cluster_nodes(net::ResponseWriter& writer);

  const NodeConfig& config_;
  engines::EngineRegistry& registry_;
  Metrics& metrics_;
  std::optional<cluster::Membership> membership_;
  cluster::PeerVerifier peer_verifier_;
  const cluster::MdnsService* discovery_ = nullptr;
  cluster::NodeIdentity self_;
  std::string self_address_;
  unsigned short self_port_ = 0;
};

}  // namespace quorum::node
