#include "cluster/cluster_registry.h"

#include <algorithm>

namespace quorum::cluster {

std::string_view to_string(PeerState state) {
  switch (state) {
    case PeerState::kPending:
      return "pending";
    case PeerState::kReachable:
      return "reachable";
    case PeerState::kUnreachable:
      return "unreachable";
  }
  return "unknown";
}

ClusterRegistry::ClusterRegistry(std::string self_id, PresenceTiming timing)
    : self_id_(std::move(self_id)), timing_(timing) {}

PeerRecord* ClusterRegistry::find(const std::string& key) {
  auto it = std::find_if(peers_.begin(), peers_.end(), [&](const PeerRecord& p) { return p.key == key; });
  return it == peers_.end() ? nullptr : &*it;
}

std::chrono::milliseconds ClusterRegistry::backoff(int failures) const {
  using std::chrono::milliseconds;
  if (failures < timing_.failures_to_unreachable) {
    return timing_.first_retry * (int64_t{1} << std::min(failures - 1, 20));
  }
  int steps = std::min(failures - timing_.failures_to_unreachable, 20);
  return std::min<milliseconds>(timing_.heartbeat_interval * (int64_t{1} << steps),
                                std::max(timing_.max_backoff, timing_.heartbeat_interval));
}

void ClusterRegistry::add_static(const std::string& address, unsigned short port,
                                 RegistryClock::time_point now) {
  std::lock_guard lock(mutex_);
  std::string key = "peer:" + address + ":" + std::to_string(port);
  if (find(key)) return;
  PeerRecord record;
  record.key = key;
  record.status.name = address + ":" + std::to_string(port);
  record.status.port = port;
  record.address = address;
  record.static_peer = true;
  record.static_port = port;
  record.last_seen = now;
  record.next_heartbeat = now;
  peers_.push_back(std::move(record));
}

bool ClusterRegistry::announced(const std::string& id, const std::string& name, const std::string& version,
                                const std::string& address, unsigned short port,
                                RegistryClock::time_point now) {
  if (id == self_id_) return false;
  std::lock_guard lock(mutex_);
  if (auto* p = find(id)) {
    if (p->state == PeerState::kReachable || p->static_peer) return false;
    if (!address.empty()) p->address = address;
    if (!name.empty()) p->status.name = name;
    if (port) p->status.port = port;
    p->status.version = version;
    if (!p->heartbeat_running) {
      p->next_heartbeat = now;
      return true;
    }
    return false;
  }
  PeerRecord record;
  record.key = id;
  record.status.id = id;
  record.status.name = name.empty() ? id : name;
  record.status.version = version;
  record.status.port = port;
  record.address = address;
  record.last_seen = now;
  record.next_heartbeat = now;
  peers_.push_back(std::move(record));
  return true;
}

GoodbyeResult ClusterRegistry::goodbye(const std::string& id, const std::string& from_address,
                                       RegistryClock::time_point now) {
  std::lock_guard lock(mutex_);
  auto* p = find(id);
  if (!p) return GoodbyeResult::kUnknown;
  if (!p->static_peer && p->address == from_address) {
    std::erase_if(peers_, [&](const PeerRecord& r) { return r.key == id; });
    return GoodbyeResult::kRemoved;
  }
  if (!p->heartbeat_running) p->next_heartbeat = now;
  return GoodbyeResult::kCheck;
}

bool ClusterRegistry::called_by(const NodeStatus& status, const std::string& address,
                                RegistryClock::time_point now) {
  if (status.id == self_id_ || status.id.empty()) return false;
  std::lock_guard lock(mutex_);
  if (auto* p = find(status.id)) {
    if (p->state == PeerState::kReachable) {
      p->status = status;
      p->last_seen = now;
      return false;
    }
    if (!p->static_peer && !address.empty()) p->address = address;
    if (p->heartbeat_running) return false;
    p->next_heartbeat = now;
    return true;
  }
  PeerRecord record;
  record.key = status.id;
  record.status = status;
  record.address = address;
  record.last_seen = now;
  record.next_heartbeat = now;
  peers_.push_back(std::move(record));
  return true;
}

std::vector<HeartbeatTarget> ClusterRegistry::take_due(RegistryClock::time_point now) {
  std::lock_guard lock(mutex_);
  std::vector<HeartbeatTarget> out;
  for (auto& p : peers_) {
    if (p.heartbeat_running || p.next_heartbeat > now) continue;
    p.heartbeat_running = true;
    std::string id = p.key.rfind("peer:", 0) == 0 ? std::string() : p.key;
    out.push_back(HeartbeatTarget{p.key, p.address, p.status.port, id, p.static_peer ? std::string() : id});
  }
  return out;
}

Result<Transition> ClusterRegistry::heartbeat_done(const std::string& key, NodeStatus status,
                                                   RegistryClock::time_point now) {
  std::unique_lock lock(mutex_);
  auto* p = find(key);
  if (!p) return Transition{status.name, PeerState::kPending, PeerState::kPending};
  p->heartbeat_running = false;
  if (status.id == self_id_) {
    std::string name = p->status.name;
    std::erase_if(peers_, [&](const PeerRecord& r) { return r.key == key; });
    return ApiError::invalid_request("'" + name + "' is this node itself");
  }
  // A --peer is whoever answers at its address: one that answers with another id (reinstalled, or the address
  // went to another machine of the cluster) is re-keyed like one answering the first time.
  const bool unidentified = key.rfind("peer:", 0) == 0 || (p->static_peer && status.id != key);
  if (!unidentified && status.id != key) {
    lock.unlock();
    std::string error = "answered as another node (" + status.id + ")";
    heartbeat_failed(key, error, now);
    return ApiError::server(502, error);
  }
  if (unidentified) {
    // A --peer tells who it is: it takes over any record of that node found otherwise (e.g. by mDNS).
    int forwarded = p->forwarded;
    for (const auto& r : peers_) {
      if (r.key == status.id && r.key != key) forwarded = std::max(forwarded, r.forwarded);
    }
    std::erase_if(peers_, [&](const PeerRecord& r) { return r.key == status.id && r.key != key; });
    p = find(key);
    p->key = status.id;
    p->forwarded = forwarded;
  }
  Transition t{status.name, p->state, PeerState::kReachable};
  p->status = std::move(status);
  if (p->static_peer) p->status.port = p->static_port;  // it may be behind a port forward
  p->state = PeerState::kReachable;
  p->failures = 0;
  p->last_error.clear();
  p->last_seen = now;
  p->next_heartbeat = now + timing_.heartbeat_interval;
  return t;
}

std::optional<Transition> ClusterRegistry::heartbeat_failed(const std::string& key, const std::string& error,
                                                            RegistryClock::time_point now) {
  std::lock_guard lock(mutex_);
  auto* p = find(key);
  if (!p) return std::nullopt;
  p->heartbeat_running = false;
  p->failures = std::min(p->failures + 1, 1000);
  p->last_error = error;
  Transition t{p->status.name, p->state, p->state};
  if (p->failures >= timing_.failures_to_unreachable) t.after = p->state = PeerState::kUnreachable;
  p->next_heartbeat = now + backoff(p->failures);
  return t;
}

std::vector<std::string> ClusterRegistry::prune(RegistryClock::time_point now) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> gone;
  std::erase_if(peers_, [&](const PeerRecord& p) {
    bool silent = !p.static_peer && p.state != PeerState::kReachable && !p.heartbeat_running &&
                  now - p.last_seen > timing_.prune_after;
    if (silent) gone.push_back(p.status.name);
    return silent;
  });
  return gone;
}

std::optional<RegistryClock::time_point> ClusterRegistry::next_due() const {
  std::lock_guard lock(mutex_);
  std::optional<RegistryClock::time_point> next;
  for (const auto& p : peers_) {
    if (p.heartbeat_running) continue;
    if (!next || p.next_heartbeat < *next) next = p.next_heartbeat;
  }
  return next;
}

std::vector<PeerRecord> ClusterRegistry::snapshot() const {
  std::lock_guard lock(mutex_);
  return peers_;
}

std::vector<PeerHolder> ClusterRegistry::holders(const std::string& model) const {
  std::lock_guard lock(mutex_);
  std::vector<PeerHolder> out;
  for (const auto& p : peers_) {
    if (p.state != PeerState::kReachable) continue;
    for (const auto& m : p.status.models) {
      if (m.id != model) continue;
      out.push_back(PeerHolder{p.status.id, p.status.name, p.address, p.status.port, m.loaded,
                               std::max(p.status.in_flight, p.forwarded), p.status.capacity});
      break;
    }
  }
  return out;
}

bool ClusterRegistry::is_reachable(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return std::any_of(peers_.begin(), peers_.end(),
                     [&](const PeerRecord& p) { return p.key == id && p.state == PeerState::kReachable; });
}

std::vector<std::string> ClusterRegistry::unreachable_holders(const std::string& model) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& p : peers_) {
    if (p.state == PeerState::kReachable) continue;
    for (const auto& m : p.status.models) {
      if (m.id == model) {
        out.push_back(p.status.name);
        break;
      }
    }
  }
  return out;
}

void ClusterRegistry::forwarding(const std::string& id, int delta) {
  std::lock_guard lock(mutex_);
  if (auto* p = find(id)) p->forwarded = std::max(0, p->forwarded + delta);
}

}  // namespace quorum::cluster
