// What the node knows of its cluster, as JSON: the models of every reachable node, this node and its peers.
// Shared by GET /v1/models, GET /v1/cluster/nodes and the local UI (node/ui), which show the same facts.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "cluster/cluster_registry.h"
#include "node/api/context.h"

namespace quorum::node::api {

// One model of the cluster: the union over this node's engines and the reachable peers.
struct ClusterModel {
  std::string id;
  int64_t created = 0;
  std::string owned_by;
  bool loaded = false;
  std::vector<std::string> engines;  // this node's engines that offer it
  boost::json::array nodes;          // [{id, name, loaded}]
};

// Every model of the cluster, once each: this node's first, then the peers' in registry order.
std::vector<ClusterModel> cluster_models(const ApiContext& api);

boost::json::array model_states_json(const std::vector<cluster::ModelState>& models);
boost::json::array strings_json(const std::vector<std::string>& items);

// This node as GET /v1/cluster/nodes shows it under "self" (state "self").
boost::json::object self_json(const ApiContext& api);
// A peer as GET /v1/cluster/nodes lists it (id, name, address, port, version, state, static, models,
// engines, in_flight, capacity, last_seen_ms_ago, path, error).
boost::json::object peer_json(const cluster::PeerRecord& p, cluster::RegistryClock::time_point now);

}  // namespace quorum::node::api
