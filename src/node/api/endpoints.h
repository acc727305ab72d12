// The node's endpoints, one file each (docs/api.md): Api::handle has authenticated the caller and matched
// the route (routes.h) before any of these runs. Each takes what it keeps by value: the caller's locals are
// gone when the coroutine runs. `request` and `writer` outlive the coroutine (the connection owns both).
#pragma once

#include <string>

#include "auth/caller.h"
#include "cluster/node_status.h"
#include "net/http_server.h"
#include "node/api/context.h"
#include "wire/request.h"

namespace quorum::node::api {

// POST /v1/chat/completions and /v1/completions (generation.cpp): streamed or not, through the router.
net::Task<void> serve_generation(ApiContext& api, net::HttpRequest& request, net::ResponseWriter& writer,
                                 wire::GenerationKind kind, auth::Caller caller, std::string request_id);
// POST /v1/embeddings (embeddings.cpp), through the router; base64 when asked.
net::Task<void> serve_embeddings(ApiContext& api, net::HttpRequest& request, net::ResponseWriter& writer,
                                 auth::Caller caller, std::string request_id);
// GET /v1/models and /v1/models/{id} (models.cpp): the cluster's models, once each, with where they are.
// `scope`: the only models to list (an API key's); empty: every one.
net::Task<void> serve_model_list(ApiContext& api, net::ResponseWriter& writer, std::string request_id,
                                 std::vector<std::string> scope = {});
net::Task<void> serve_model(ApiContext& api, std::string id, net::ResponseWriter& writer,
                            std::string request_id);
// GET /v1/cluster/nodes and POST /v1/cluster/heartbeat (cluster_endpoints.cpp). A heartbeat is taken only
// from a proven peer (`caller`) and only for itself; anything else, loopback included, gets 401.
net::Task<void> serve_cluster_nodes(ApiContext& api, net::ResponseWriter& writer);
net::Task<void> serve_heartbeat(ApiContext& api, net::HttpRequest& request, net::ResponseWriter& writer,
                                auth::Caller caller, std::string request_id);
// GET /v1/cluster/identity (cluster_endpoints.cpp): who this node is, the answer signed, for a node that
// calls a --peer whose id it does not know yet (node/cluster_node.h).
net::Task<void> serve_identity(ApiContext& api, net::HttpRequest& request, net::ResponseWriter& writer,
                               std::string request_id);
// GET /health and /metrics (health.cpp).
net::Task<void> serve_health(ApiContext& api, net::ResponseWriter& writer);
net::Task<void> serve_metrics(ApiContext& api, net::ResponseWriter& writer);

// What this node tells its peers in heartbeats: its engines' models, in-flight requests, capacity.
cluster::NodeStatus local_status(const ApiContext& api);

}  // namespace quorum::node::api
