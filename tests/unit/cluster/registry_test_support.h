// What the ClusterRegistry tests share: the fake clock's start, the presence timing they assume, and a
// peer's status as a heartbeat would carry it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cluster/cluster_registry.h"

namespace quorum::cluster::testing {

inline const RegistryClock::time_point t0{std::chrono::seconds(1000)};

inline PresenceTiming timing() {
  PresenceTiming t;
  t.heartbeat_interval = std::chrono::seconds(2);
  t.first_retry = std::chrono::milliseconds(250);
  t.failures_to_unreachable = 3;
  t.max_backoff = std::chrono::seconds(10);
  t.prune_after = std::chrono::seconds(300);
  return t;
}

// Node `id` named "name-ID", version 0.1.0, engine "llamacpp", on the default port.
inline NodeStatus status_of(const std::string& id, std::vector<ModelState> models = {}, int in_flight = 0,
                            int capacity = 4) {
  NodeStatus s;
  s.id = id;
  s.name = "name-" + id;
  s.version = "0.1.0";
  s.port = 32768;
  s.models = std::move(models);
  s.engines = {"llamacpp"};
  s.in_flight = in_flight;
  s.capacity = capacity;
  return s;
}

}  // namespace quorum::cluster::testing
