#include "node/api/api.h"

#include "core/log.h"
#include "core/stage_marks.h"
#include "node/api/browser_guard.h"
#include "node/api/endpoints.h"
#include "node/api/responses.h"
#include "node/api/routes.h"
#include "node/cluster_node.h"
#include "node/cluster_peers.h"
#include "node/ui/ui_assets.h"
#include "node/ui/ui_endpoints.h"

namespace quorum::node {

namespace {

router::RouterOptions router_options(const NodeConfig& config, const cluster::NodeIdentity& self,
                                     Metrics& metrics, const std::function<void()>& on_load) {
  router::RouterOptions o;
  o.self_id = self.id;
  o.self_name = self.name;
  o.max_retries = config.max_retries;
  o.capacity = config.cluster.capacity;
  o.on_serving = [&metrics, &on_load](const router::Served& served, const std::string& model, int delta) {
    metrics.in_flight(served.engine, model, delta);
    if (on_load) on_load();
  };
  return o;
}

api::ApiSettings api_settings(const NodeConfig& config) {
  return api::ApiSettings{config.keepalive_interval, config.reasoning_field};
}

}  // namespace

Api::Api(const NodeConfig& config, engines::EngineRegistry& registry, Metrics& metrics,
         const cluster::NodeIdentity& self)
    : router_(registry, router_options(config, self, metrics, on_load_)),
      context_(api_settings(config), self, registry, router_, metrics),
      auth_(auth::node_authenticator(self.id, std::nullopt)),
      own_names_(api::own_host_names({}, {}, {})) {
  context_.observers.add(std::make_unique<api::RequestLog>());
  context_.observers.add(std::make_unique<api::RequestMetrics>(metrics));
}

Api::~Api() = default;

void Api::set_address(std::string address, unsigned short port) {
  context_.self_address = std::move(address);
  context_.self_port = port;
}

void Api::set_own_names(std::vector<std::string> names) {
  own_names_ = std::move(names);
}

void Api::set_cluster(ClusterNode* cluster) {
  router_.set_peers(nullptr);
  context_.cluster = cluster;
  peers_ = cluster ? std::make_unique<ClusterPeers>(*cluster) : nullptr;
  router_.set_peers(peers_.get());
  auth_ = auth::node_authenticator(
      context_.self.id, cluster ? std::optional<std::string>(cluster->membership().secret) : std::nullopt,
      keys_);
}

cluster::NodeStatus Api::local_status() const {
  return api::local_status(context_);
}

net::Task<void> Api::handle(net::HttpRequest& req, net::ResponseWriter& w) {
  std::string request_id = api::new_request_id();
  auto caller = auth_->authenticate(req);
  if (!caller) {
    if (req.headers.has(cluster::peer_headers::kProof)) {
      log::warn("refused a peer request from " + req.remote_address + ": " + caller.error().message);
    }
    return api::reply_error(w, caller.take_error(), std::move(request_id));
  }
  stage::mark(stage::Stage::kAuthorized);
  // The node's own page, on loopback only: elsewhere its paths are not found.
  if (ui_ && caller->kind == auth::Caller::Kind::kLocal && ui::is_ui_request(req.target)) {
    return ui::serve_ui(*ui_, req, w, std::move(request_id));
  }
  const std::string_view origin = req.headers.get("Origin");
  if (!api::origin_allowed(origin)) {
    return api::reply_error(w, api::forbidden_origin(origin), std::move(request_id));
  }
  // Only the trust given for arriving on loopback can be borrowed by a page through DNS rebinding.
  const std::string_view host = req.headers.get("Host");
  if (caller->kind == auth::Caller::Kind::kLocal &&
      !api::host_allowed(host, own_names_, context_.self_port)) {
    return api::reply_error(w, api::misdirected_host(host), std::move(request_id));
  }
  auto route = api::match_route(req.method, req.target);
  if (!route) return api::reply_error(w, route.take_error(), std::move(request_id));
  // Every POST endpoint reads JSON (a route matched, so the method is the endpoint's).
  const std::string_view content_type = req.headers.get("Content-Type");
  if (req.method == "POST" && !api::content_type_is_json(content_type)) {
    return api::reply_error(w, api::unsupported_media_type(content_type), std::move(request_id));
  }

  using api::Endpoint;
  // An API key opens the OpenAI endpoints only, not the cluster's own.
  if ((caller->kind == auth::Caller::Kind::kKeyHolder || caller->kind == auth::Caller::Kind::kRelayClient) &&
      (route->endpoint == Endpoint::kClusterNodes || route->endpoint == Endpoint::kHeartbeat ||
       route->endpoint == Endpoint::kIdentity || route->endpoint == Endpoint::kMetrics)) {
    return api::reply_error(w,
                            ApiError{403, "invalid_request_error",
                                     "An API key opens the OpenAI endpoints of a node, not this one.",
                                     std::nullopt, std::string("forbidden")},
                            std::move(request_id));
  }
  switch (route->endpoint) {
    case Endpoint::kChatCompletions:
      return api::serve_generation(context_, req, w, wire::GenerationKind::kChat, std::move(*caller),
                                   std::move(request_id));
    case Endpoint::kCompletions:
      return api::serve_generation(context_, req, w, wire::GenerationKind::kCompletion, std::move(*caller),
                                   std::move(request_id));
    case Endpoint::kEmbeddings:
      return api::serve_embeddings(context_, req, w, std::move(*caller), std::move(request_id));
    case Endpoint::kListModels:
      return api::serve_model_list(context_, w, std::move(request_id), caller->models);
    case Endpoint::kGetModel:
      if (!caller->allows(route->model_id)) {
        return api::reply_error(w, router::model_not_found(route->model_id), std::move(request_id));
      }
      return api::serve_model(context_, std::move(route->model_id), w, std::move(request_id));
    case Endpoint::kClusterNodes:
      return api::serve_cluster_nodes(context_, w);
    case Endpoint::kHeartbeat:
      return api::serve_heartbeat(context_, req, w, std::move(*caller), std::move(request_id));
    case Endpoint::kIdentity:
      return api::serve_identity(context_, req, w, std::move(request_id));
    case Endpoint::kHealth:
      return api::serve_health(context_, w);
    case Endpoint::kMetrics:
      return api::serve_metrics(context_, w);
  }
  return api::reply_error(w, ApiError::server(500, "Unrouted endpoint."), std::move(request_id));
}

}  // namespace quorum::node
