// GET /v1/models and /v1/models/{id}: the union of this node's engines' models and the reachable peers',
// once each, with the engines and nodes that hold each one.
#include <boost/json.hpp>
#include <unordered_map>

#include "node/api/endpoints.h"
#include "node/api/responses.h"
#include "node/cluster_node.h"

namespace quorum::node::api {

namespace json = boost::json;

namespace {

struct ClusterModel {
  std::string id;
  int64_t created = 0;
  std::string owned_by;
  bool loaded = false;
  std::vector<std::string> engines;  // this node's engines that offer it
  json::array nodes;                 // [{id, name, loaded}]
};

std::vector<ClusterModel> cluster_models(const ApiContext& api) {
  std::vector<ClusterModel> out;
  std::unordered_map<std::string, size_t> index;  // a peer may list thousands of models
  auto entry = [&](const std::string& id) -> ClusterModel& {
    auto [it, added] = index.emplace(id, out.size());
    if (added) out.push_back(ClusterModel{id});
    return out[it->second];
  };
  auto merge = [](ClusterModel& m, int64_t created, const std::string& owned_by, bool loaded) {
    if (created && (!m.created || created < m.created)) m.created = created;
    if (m.owned_by.empty()) m.owned_by = owned_by;
    m.loaded = m.loaded || loaded;
  };
  for (const auto& l : api.engines.models()) {
    auto& m = entry(l.info.id);
    merge(m, l.info.created, l.info.owned_by, l.info.loaded);
    m.engines = l.engines;
    m.nodes.push_back(json::object{{"id", api.self.id}, {"name", api.self.name}, {"loaded", l.info.loaded}});
  }
  if (api.cluster) {
    for (const auto& peer : api.cluster->registry().snapshot()) {
      if (peer.state != cluster::PeerState::kReachable) continue;
      for (const auto& pm : peer.status.models) {
        auto& m = entry(pm.id);
        merge(m, pm.created, pm.owned_by, pm.loaded);
        m.nodes.push_back(
            json::object{{"id", peer.status.id}, {"name", peer.status.name}, {"loaded", pm.loaded}});
      }
    }
  }
  return out;
}

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
