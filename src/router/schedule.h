// Which holder of a model to try first (ARCHITECTURE.md "Routing", step 2). Pure.
//
// Order: this node first when it holds the model warm and has a free slot; then warm holders before cold
// ones; among those, the least loaded (in-flight against capacity); then this node before peers; ties keep
// the given order.
#pragma once

#include <cstddef>
#include <vector>

namespace quorum::router {

struct RouteCandidate {
  bool local = false;   // an engine of this node
  bool loaded = false;  // warm
  int in_flight = 0;    // of the node that holds it
  int capacity = 1;
};

// Indices into `candidates`, in the order to try them.
std::vector<size_t> schedule(const std::vector<RouteCandidate>& candidates);

}  // namespace quorum::router
