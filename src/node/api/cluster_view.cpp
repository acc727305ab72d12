#include "node/api/cluster_view.h"

#include <unordered_map>

#include "core/version.h"
#include "node/api/endpoints.h"
#include "node/cluster_node.h"

namespace quorum::node::api {

namespace json = boost::json;

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

json::array model_states_json(const std::vector<cluster::ModelState>& models) {
  json::array out;
  for (const auto& m : models) out.push_back(json::object{{"id", m.id}, {"loaded", m.loaded}});
  return out;
}

json::array strings_json(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& i : items) out.push_back(json::value(i));
  return out;
}

json::object self_json(const ApiContext& api) {
  auto status = local_status(api);
  const ClusterNode* cluster = api.cluster;
  return json::object{
      {"id", api.self.id},
      {"name", api.self.name},
      {"address", cluster && !cluster->self_address().empty() ? cluster->self_address() : api.self_address},
      {"port", api.self_port},
      {"version", quorum::version()},
      {"state", "self"},
      {"models", model_states_json(status.models)},
      {"engines", strings_json(status.engines)},
      {"in_flight", status.in_flight},
      {"capacity", status.capacity}};
}

json::object peer_json(const cluster::PeerRecord& p, cluster::RegistryClock::time_point now) {
  const cluster::LanPath* lan = p.lan_path();
  json::object o{
      {"id", p.status.id},
      {"name", p.status.name},
      {"address", lan ? lan->address : std::string()},
      {"port", lan ? lan->port : p.status.port},
      {"version", p.status.version},
      {"state", std::string(cluster::to_string(p.state))},
      {"static", p.configured()},
      {"models", model_states_json(p.status.models)},
      {"engines", strings_json(p.status.engines)},
      {"in_flight", std::max(p.status.in_flight, p.forwarded)},
      {"capacity", p.status.capacity},
      {"last_seen_ms_ago", std::chrono::duration_cast<std::chrono::milliseconds>(now - p.last_seen).count()}};
  // How this node reaches it now: "lan" or "relay" (the path its last heartbeat answered on).
  const bool relay_now = !p.paths.empty() && p.active_path < p.paths.size() &&
                         std::holds_alternative<cluster::RelayPath>(p.paths[p.active_path]);
  o["path"] = p.paths.empty() ? "none" : relay_now ? "relay" : "lan";
  if (!p.last_error.empty()) o["error"] = p.last_error;
  return o;
}

}  // namespace quorum::node::api
