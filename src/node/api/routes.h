// The node's path table: which endpoint a request is for. Pure (tests/unit/node/routes_test.cpp).
//
// Paths are accepted with and without the /v1 prefix, as llama.cpp does (users configure base URLs both
// ways); /health and /metrics are at the root only. A model id in a path may contain '/' and arrives
// percent-encoded. HEAD is served wherever GET is.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace quorum::node::api {

enum class Endpoint {
  kChatCompletions,
  kCompletions,
  kEmbeddings,
  kListModels,
  kGetModel,
  kClusterNodes,
  kHeartbeat,
  kIdentity,
  kHealth,
  kMetrics,
};

struct RouteMatch {
  Endpoint endpoint;
  std::string model_id;  // kGetModel: the id, percent-decoded
};

// The endpoint for `method` and `target` (path and query), or the error to answer: 404 unknown_url, 405
// naming the method to use, 400 for a model id that is not valid percent-encoding.
Result<RouteMatch> match_route(std::string_view method, std::string_view target);

}  // namespace quorum::node::api
