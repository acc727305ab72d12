// What the node's endpoints share (node/api/endpoints.h): set up once by Api before serving, then read from
// every server thread. Everything reached from here is thread-safe.
#pragma once

#include <chrono>
#include <string>

#include "cluster/membership.h"
#include "engines/registry.h"
#include "node/api/request_observers.h"
#include "node/metrics.h"
#include "router/router.h"

namespace quorum::node {
class ClusterNode;
}

namespace quorum::node::api {

// The settings of the API itself (the rest of NodeConfig is none of its business).
struct ApiSettings {
  std::chrono::seconds keepalive_interval{10};  // SSE comment while waiting for the first token
  std::string reasoning_field = "reasoning_content";
};

struct ApiContext {
  ApiContext(ApiSettings settings, cluster::NodeIdentity self, engines::EngineRegistry& engines,
             router::Router& router, Metrics& metrics)
      : settings(std::move(settings)),
        self(std::move(self)),
        engines(engines),
        router(router),
        metrics(metrics) {}

  ApiSettings settings;
  cluster::NodeIdentity self;
  engines::EngineRegistry& engines;
  router::Router& router;
  Metrics& metrics;
  RequestObservers observers;      // told of every chat, completions and embeddings request as it ends
  ClusterNode* cluster = nullptr;  // null outside a cluster
  std::string self_address;        // where peers reach this node (GET /v1/cluster/nodes)
  unsigned short self_port = 0;
};

}  // namespace quorum::node::api
