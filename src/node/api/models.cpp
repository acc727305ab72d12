// GET /v1/models and /v1/models/{id}: the union of this node's engines' models and the reachable peers',
// once each, with the engines and nodes that hold each one.
#include <boost/json.hpp>
#include <unordered_map>

#include "node/api/cluster_view.h"
#include "node/api/endpoints.h"
#include "node/api/responses.h"
#include "node/cluster_node.h"

namespace quorum::node::api {

namespace json = boost::json;

namespace {

json::object model_json(const ClusterModel& m) {
  json::array engines;
  for (const auto& name : m.engines) engines.push_back(json::value(name));
  return json::object{
      {"id", m.id},
      {"object", "model"},
      {"created", m.created},
      {"owned_by", m.owned_by.empty() ? "quorum" : m.owned_by},
      {"quorum", json::object{{"engines", std::move(engines)}, {"loaded", m.loaded}, {"nodes", m.nodes}}}};
}

}  // namespace

net::Task<void> serve_model_list(ApiContext& api, net::ResponseWriter& w, std::string request_id,
                                 std::vector<std::string> scope) {
  co_await api.engines.refresh_if_older(std::chrono::milliseconds(1000));
  json::array data;
  for (const auto& m : cluster_models(api)) {
    if (scope.empty() || std::find(scope.begin(), scope.end(), m.id) != scope.end())
      data.push_back(model_json(m));
  }
  json::object body{{"object", "list"}, {"data", std::move(data)}};
  co_await send_json(w, 200, body, request_id);
}

net::Task<void> serve_model(ApiContext& api, std::string id, net::ResponseWriter& w, std::string request_id) {
  co_await api.engines.refresh_if_older(std::chrono::milliseconds(1000));
  for (const auto& m : cluster_models(api)) {
    if (m.id == id) {
      co_await send_json(w, 200, model_json(m), request_id);
      co_return;
    }
  }
  const ApiError not_found = router::model_not_found(id);
  co_await send_error(w, not_found, request_id);
}

}  // namespace quorum::node::api
