// GET /v1/cluster/nodes (this node and the cluster's nodes, with what discovery is doing),
// POST /v1/cluster/heartbeat (a peer's status in, this node's status out, the answer signed) and
// GET /v1/cluster/identity (who this node is, the answer signed), and what this node tells its peers about
// itself.
#include <boost/json.hpp>

#include "cluster/peer_proof.h"
#include "core/version.h"
#include "node/api/cluster_view.h"
#include "node/api/endpoints.h"
#include "node/api/responses.h"
#include "node/cluster_node.h"

namespace quorum::node::api {

namespace json = boost::json;

cluster::NodeStatus local_status(const ApiContext& api) {
  cluster::NodeStatus s;
  s.id = api.self.id;
  s.name = api.self.name;
  s.version = quorum::version();
  s.port = api.self_port;
  for (const auto& m : api.engines.models()) {
    s.models.push_back(cluster::ModelState{m.info.id, m.info.loaded, m.info.created, m.info.owned_by});
  }
  for (const auto& e : api.engines.status()) {
    if (e.up) s.engines.push_back(e.name);
  }
  s.capacity = api.router.local_capacity();
  s.in_flight = api.router.local_in_flight();
  return s;
}

namespace {

json::object discovery_json(const ClusterNode& cluster) {
  auto d = cluster.discovery_status();
  if (!d) return json::object{{"mdns", false}};
  return json::object{{"mdns", true},
                      {"interfaces", strings_json(d->interfaces)},
                      {"nodes_heard", d->nodes_heard},
                      {"other_clusters", d->other_clusters}};
}

ApiError peer_refusal(std::string message) {
  return ApiError{401, "invalid_request_error", std::move(message), std::nullopt,
                  std::string("invalid_peer_proof")};
}

ApiError no_cluster() {
  return ApiError::not_found("This node is in no cluster (see `quorum cluster init`).", std::nullopt,
                             std::string("no_cluster"));
}

// Sends `answer` (JSON) with this node's id and the signature of an answer to `req` (cluster/peer_proof.h).
net::Task<void> send_signed_answer(ApiContext& api, const net::HttpRequest& req, net::ResponseWriter& w,
                                   const std::string& request_id, std::string answer) {
  net::Headers h = json_headers(request_id);
  h.add(std::string(cluster::peer_headers::kNode), api.self.id);
  h.add(std::string(cluster::peer_headers::kProof),
        cluster::sign_peer_reply(api.cluster->membership().secret,
                                 req.headers.get(cluster::peer_headers::kNonce), api.self.id, answer));
  co_await w.send(200, h, std::move(answer));
}

}  // namespace

net::Task<void> serve_cluster_nodes(ApiContext& api, net::ResponseWriter& w) {
  const ClusterNode* cluster = api.cluster;
  json::object self = self_json(api);
  json::array data;
  if (cluster) {
    auto now = cluster::RegistryClock::now();
    for (const auto& p : cluster->registry().snapshot()) data.push_back(peer_json(p, now));
  }
  json::object body{
      {"object", "list"},
      {"cluster", cluster ? json::value(cluster->membership().cluster_id) : json::value(nullptr)},
      {"self", std::move(self)},
      {"data", std::move(data)}};
  if (cluster) body["discovery"] = discovery_json(*cluster);
  const std::string no_request_id;
  co_await send_json(w, 200, body, no_request_id);
}

net::Task<void> serve_heartbeat(ApiContext& api, net::HttpRequest& req, net::ResponseWriter& w,
                                auth::Caller caller, std::string request_id) {
  if (!api.cluster) {
    ApiError e = no_cluster();
    co_await send_error(w, e, request_id);
    co_return;
  }
  // Only a proven peer speaks for a node: loopback is no proof (a web page on this machine could post here).
  if (!caller.is_peer()) {
    ApiError e =
        peer_refusal("A heartbeat must carry a peer proof (X-Quorum-Proof) of a node of this cluster.");
    co_await send_error(w, e, request_id);
    co_return;
  }
  auto status = cluster::parse_node_status(req.body);
  if (!status) {
    ApiError e = status.take_error();
    e.status = 400;
    e.type = "invalid_request_error";
    co_await send_error(w, e, request_id);
    co_return;
  }
  // A peer speaks only for itself: the status must be that of the node whose proof was checked.
  if (status->id != caller.node_id) {
    ApiError e = peer_refusal("The heartbeat is signed by another node.");
    co_await send_error(w, e, request_id);
    co_return;
  }
  std::string answer =
      json::serialize(cluster::status_to_json(api.cluster->on_heartbeat(*status, req.remote_address)));
  co_await send_signed_answer(api, req, w, request_id, std::move(answer));
}

// The one request between nodes that may be addressed to nobody in particular (peer_proof.h): a node sends
// it to a --peer whose id it does not know, then addresses its heartbeat to the id answered. It changes
// nothing here, so replaying a captured one elsewhere only learns what mDNS announces anyway.
net::Task<void> serve_identity(ApiContext& api, net::HttpRequest& req, net::ResponseWriter& w,
                               std::string request_id) {
  if (!api.cluster) {
    ApiError e = no_cluster();
    co_await send_error(w, e, request_id);
    co_return;
  }
  std::string answer = json::serialize(json::object{{"id", api.self.id}, {"name", api.self.name}});
  co_await send_signed_answer(api, req, w, request_id, std::move(answer));
}

}  // namespace quorum::node::api
