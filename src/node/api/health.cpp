// GET /health (the node and its engines) and GET /metrics (Prometheus text: requests, and the cluster's
// gauges when the node is in one).
#include <boost/json.hpp>
#include <map>

#include "core/version.h"
#include "node/api/endpoints.h"
#include "node/api/responses.h"
#include "node/cluster_node.h"

namespace quorum::node::api {

namespace json = boost::json;

namespace {

// Nodes by state and requests forwarded to each peer; empty outside a cluster.
std::string cluster_metrics(const ClusterNode* cluster) {
  if (!cluster) return {};
  std::map<std::string, int> by_state{{"pending", 0}, {"reachable", 0}, {"unreachable", 0}};
  std::string forwarded;
  for (const auto& p : cluster->registry().snapshot()) {
    ++by_state[std::string(cluster::to_string(p.state))];
    forwarded += "quorum_cluster_forwarded_in_flight{node=\"" + prometheus_label(p.status.name) + "\"} " +
                 std::to_string(p.forwarded) + "\n";
  }
  std::string out =
      "# HELP quorum_cluster_nodes Other nodes of this node's cluster, by state.\n"
      "# TYPE quorum_cluster_nodes gauge\n";
  for (const auto& [state, count] : by_state) {
    out += "quorum_cluster_nodes{state=\"" + state + "\"} " + std::to_string(count) + "\n";
  }
  out +=
      "# HELP quorum_cluster_forwarded_in_flight Requests this node has forwarded to each peer, now.\n"
      "# TYPE quorum_cluster_forwarded_in_flight gauge\n" +
      forwarded;
  return out;
}

}  // namespace

net::Task<void> serve_health(ApiContext& api, net::ResponseWriter& w) {
  json::array engines;
  for (const auto& e : api.engines.status()) {
    engines.push_back(json::object{{"name", e.name},
                                   {"type", e.type},
                                   {"url", e.location},
                                   {"autodetected", e.autodetected},
                                   {"up", e.up},
                                   {"models", e.models.size()},
                                   {"error", e.last_error}});
  }
  json::object body{{"status", "ok"}, {"version", quorum::version()}, {"engines", std::move(engines)}};
  const std::string no_request_id;
  co_await send_json(w, 200, body, no_request_id);
}

net::Task<void> serve_metrics(ApiContext& api, net::ResponseWriter& w) {
  net::Headers h;
  h.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  co_await w.send(200, h, api.metrics.render() + cluster_metrics(api.cluster));
}

}  // namespace quorum::node::api
