#include "node/api/routes.h"

#include <boost/url/pct_string_view.hpp>

namespace quorum::node::api {

namespace {

ApiError wrong_method(std::string_view method, std::string_view path, const char* allowed) {
  return ApiError{
      405, "invalid_request_error",
      "Method " + std::string(method) + " is not allowed for " + std::string(path) + "; use " + allowed + ".",
      std::nullopt, std::nullopt};
}

}  // namespace

Result<RouteMatch> match_route(std::string_view method, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  std::string_view route = path;
  if (route.substr(0, 4) == "/v1/") route.remove_prefix(3);
  const bool post = method == "POST";
  const bool get = method == "GET" || method == "HEAD";

  struct Fixed {
    std::string_view route;
    Endpoint endpoint;
    bool is_post;
  };
  static constexpr Fixed kFixed[] = {
      {"/chat/completions", Endpoint::kChatCompletions, true},
      {"/completions", Endpoint::kCompletions, true},
      {"/embeddings", Endpoint::kEmbeddings, true},
      {"/models", Endpoint::kListModels, false},
      {"/cluster/nodes", Endpoint::kClusterNodes, false},
      {"/cluster/heartbeat", Endpoint::kHeartbeat, true},
      {"/cluster/identity", Endpoint::kIdentity, false},
  };
  for (const auto& f : kFixed) {
    if (route != f.route) continue;
    if (f.is_post ? !post : !get) return wrong_method(method, path, f.is_post ? "POST" : "GET");
    return RouteMatch{f.endpoint, {}};
  }
  if (route.substr(0, 8) == "/models/") {
    if (!get) return wrong_method(method, path, "GET");
    std::string encoded(route.substr(8));
    auto pct = boost::urls::make_pct_string_view(encoded);
    if (!pct) return ApiError::invalid_request("The model id in the path is not valid percent-encoding.");
    return RouteMatch{Endpoint::kGetModel, pct->decode()};
  }
  if (path == "/health") return RouteMatch{Endpoint::kHealth, {}};
  if (path == "/metrics") return RouteMatch{Endpoint::kMetrics, {}};
  return ApiError::not_found("Unknown request URL: " + std::string(method) + " " + std::string(path) +
                                 ". This node serves /v1/chat/completions, /v1/completions, /v1/embeddings "
                                 "and /v1/models.",
                             std::nullopt, std::string("unknown_url"));
}

}  // namespace quorum::node::api
