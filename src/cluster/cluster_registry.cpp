#include "cluster/cluster_registry.h"

#include <algorithm>

#include "cluster/registry_changes.h"

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

bool PeerRecord::configured() const {
  return std::any_of(paths.begin(), paths.end(), [](const PeerPath& path) {
    const auto* lan = std::get_if<LanPath>(&path);
    return lan && lan->configured;
  });
}

bool PeerRecord::via_relay() const {
  return std::any_of(paths.begin(), paths.end(),
                     [](const PeerPath& path) { return std::holds_alternative<RelayPath>(path); });
}

const LanPath* PeerRecord::lan_path() const {
  for (const auto& path : paths) {
    if (const auto* lan = std::get_if<LanPath>(&path)) return lan;
  }
  return nullptr;
}

namespace {

// The found LAN path of a node that is not a --peer goes to `address` (an empty one keeps the known address)
// and `port`. A --peer's configured path never moves. A path that moves is no longer verified.
void set_found_path(PeerRecord& p, const std::string& address, unsigned short port) {
  if (p.configured()) return;
  for (auto& path : p.paths) {
    if (auto* lan = std::get_if<LanPath>(&path)) {
      if ((!address.empty() && lan->address != address) || lan->port != port) p.path_verified = false;
      if (!address.empty()) lan->address = address;
      lan->port = port;
      return;
    }
  }
  if (!address.empty()) {
    p.paths.insert(p.paths.begin(), LanPath{address, port, false});  // LAN before the relay
    p.active_path = 0;
    p.path_verified = false;
  }
}

// The record of a node just heard of (mDNS, the relay): due for a heartbeat at once, not verified.
PeerRecord new_lead(const std::string& id, const std::string& name, RegistryClock::time_point now) {
  PeerRecord record;
  record.id = id;
  record.status.id = id;
  record.status.name = name.empty() ? id : name;
  record.last_seen = now;
  record.next_heartbeat = now;
  return record;
}

// A lead: known from mDNS only, never verified.
bool is_lead(const PeerRecord& p) {
  return !p.verified && !p.configured();
}

// A heartbeat to `p` would go to a path no signed answer came from.
bool unverified_path(const PeerRecord& p) {
  return !p.path_verified && !p.configured();
}

}  // namespace

ClusterRegistry::ClusterRegistry(std::string self_id, PresenceTiming timing, LeadLimits limits)
    : self_id_(std::move(self_id)),
      timing_(timing),
      limits_(limits),
      unverified_heartbeats_(limits.unverified_heartbeats_per_second, limits.unverified_heartbeat_burst),
      subscribers_(std::make_shared<RegistrySubscribers>()) {}

Subscription ClusterRegistry::subscribe(std::function<void(const RegistryChange&)> on_change) {
  return subscribers_->subscribe(std::move(on_change));
}

PeerRecord* ClusterRegistry::find(const std::string& id) {
  auto it = std::find_if(peers_.begin(), peers_.end(), [&](const PeerRecord& p) { return p.id == id; });
  return it == peers_.end() ? nullptr : &*it;
}

PeerRecord* ClusterRegistry::find(RecordId record) {
  auto it =
      std::find_if(peers_.begin(), peers_.end(), [&](const PeerRecord& p) { return p.handle == record; });
  return it == peers_.end() ? nullptr : &*it;
}

void ClusterRegistry::add(PeerRecord record, Changes& changes) {
  record.handle = next_record_++;
  record.revision = ++revision_;
  changes.push_back(change_of(record, ChangeKind::kAppeared));
  peers_.push_back(std::move(record));
}

void ClusterRegistry::remove(const PeerRecord& p, RemovalReason reason, Changes& changes) {
  changes.push_back(change_of(p, ChangeKind::kRemoved));
  changes.back().removal = reason;
  changes.back().record.revision = ++revision_;
  const RecordId record = p.handle;
  std::erase_if(peers_, [&](const PeerRecord& r) { return r.handle == record; });
}

bool ClusterRegistry::due_early(PeerRecord& p, RegistryClock::time_point now) {
  if (p.heartbeat_running) return false;
  const auto at = std::max(now, p.last_started + timing_.early_heartbeat_gap);
  if (at < p.next_heartbeat) {
    p.next_heartbeat = at;
    return true;
  }
  return p.next_heartbeat <= now;
}

void ClusterRegistry::make_room_for_lead(Changes& changes) {
  size_t leads = 0;
  const PeerRecord* first = nullptr;  // the lead heard first, preferably one whose heartbeat is not running
  for (const auto& p : peers_) {
    if (!is_lead(p)) continue;
    ++leads;
    if (!first || (first->heartbeat_running && !p.heartbeat_running) ||
        (first->heartbeat_running == p.heartbeat_running && p.last_seen < first->last_seen)) {
      first = &p;
    }
  }
  if (leads < std::max<size_t>(limits_.max_unverified, 1) || !first) return;
  ++displaced_;
  remove(*first, RemovalReason::kDisplaced, changes);
}

void ClusterRegistry::ended(RecordId record) {
  unverified_running_.erase(record);
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
  Changes changes;
  {
    std::lock_guard lock(mutex_);
    const LanPath path{address, port, true};
    for (const auto& p : peers_) {
      if (std::find(p.paths.begin(), p.paths.end(), PeerPath(path)) != p.paths.end()) return;
    }
    PeerRecord record;
    record.status.name = address + ":" + std::to_string(port);
    record.status.port = port;
    record.paths.emplace_back(path);
    record.last_seen = now;
    record.next_heartbeat = now;
    add(std::move(record), changes);
  }
  subscribers_->notify(changes);
}

bool ClusterRegistry::announced(const std::string& id, const std::string& name, const std::string& version,
                                const std::string& address, unsigned short port,
                                RegistryClock::time_point now) {
  if (id == self_id_) return false;
  Changes changes;
  bool due = false;
  {
    std::lock_guard lock(mutex_);
    if (auto* p = find(id)) {
      if (p->state == PeerState::kReachable || p->configured()) return false;
      const Profile before = profile_of(*p);
      if (!name.empty()) p->status.name = name;
      if (port) p->status.port = port;
      p->status.version = version;
      set_found_path(*p, address, p->status.port);
      tell(*p, p->state, before, false, {}, revision_, changes);
      due = due_early(*p, now);
    } else {
      make_room_for_lead(changes);
      PeerRecord record = new_lead(id, name, now);
      record.status.version = version;
      record.status.port = port;
      set_found_path(record, address, port);
      add(std::move(record), changes);
      due = true;
    }
  }
  subscribers_->notify(changes);
  return due;
}

void ClusterRegistry::relay_member(const std::string& id, const std::string& name,
                                   RegistryClock::time_point now) {
  if (id == self_id_ || id.empty()) return;
  Changes changes;
  {
    std::lock_guard lock(mutex_);
    const RelayPath path{id};
    if (auto* p = find(id)) {
      if (p->via_relay()) return;
      const Profile before = profile_of(*p);
      p->paths.emplace_back(path);
      tell(*p, p->state, before, false, {}, revision_, changes);
      if (p->state != PeerState::kReachable) due_early(*p, now);
    } else {
      make_room_for_lead(changes);
      PeerRecord record = new_lead(id, name, now);
      record.paths.emplace_back(path);
      add(std::move(record), changes);
    }
  }
  subscribers_->notify(changes);
}

void ClusterRegistry::relay_gone(const std::string& id, RegistryClock::time_point now) {
  Changes changes;
  {
    std::lock_guard lock(mutex_);
    std::vector<RecordId> emptied;
    for (auto& p : peers_) {
      if ((!id.empty() && p.id != id) || !p.via_relay()) continue;
      const Profile before = profile_of(p);
      std::erase_if(p.paths, [](const PeerPath& path) { return std::holds_alternative<RelayPath>(path); });
      p.active_path = p.trying_path = 0;
      if (p.paths.empty()) {
        emptied.push_back(p.handle);
      } else {
        tell(p, p.state, before, false, {}, revision_, changes);
        if (p.state == PeerState::kReachable) due_early(p, now);  // still there over the LAN?
      }
    }
    for (RecordId r : emptied) {
      if (auto* p = find(r)) remove(*p, RemovalReason::kRelayGone, changes);
    }
  }
  subscribers_->notify(changes);
}

GoodbyeResult ClusterRegistry::goodbye(const std::string& id, const std::string& from_address,
                                       RegistryClock::time_point now) {
  Changes changes;
  GoodbyeResult result = GoodbyeResult::kCheck;
  {
    std::lock_guard lock(mutex_);
    auto* p = find(id);
    if (!p) return GoodbyeResult::kUnknown;
    const auto* lan = p->lan_path();
    if (!p->configured() && lan && lan->address == from_address) {
      remove(*p, RemovalReason::kGoodbye, changes);
      result = GoodbyeResult::kRemoved;
    } else {
      const auto before = p->next_heartbeat;
      due_early(*p, now);
      if (p->next_heartbeat == before) result = GoodbyeResult::kChecking;
    }
  }
  subscribers_->notify(changes);
  return result;
}

bool ClusterRegistry::called_by(const NodeStatus& status, const std::string& address,
                                RegistryClock::time_point now) {
  if (status.id == self_id_ || status.id.empty()) return false;
  Changes changes;
  bool due = false;
  {
    std::lock_guard lock(mutex_);
    if (auto* p = find(status.id)) {
      const Profile before = profile_of(*p);
      if (p->state == PeerState::kReachable) {
        const bool models = !same_models(p->status.models, status.models);
        p->status = status;
        set_found_path(*p, std::string(), p->status.port);
        p->path_verified = true;  // the port it tells in its signed status
        p->last_seen = now;
        tell(*p, p->state, before, models, {}, revision_, changes);
      } else {
        // It proved the secret from `address`, and told its port in its signed status: a verified path,
        // whatever mDNS said.
        set_found_path(*p, address, status.port);
        p->verified = p->path_verified = true;
        tell(*p, p->state, before, false, {}, revision_, changes);
        due = due_early(*p, now);
      }
    } else {
      PeerRecord record;
      record.id = status.id;
      record.status = status;
      set_found_path(record, address, status.port);
      record.verified = record.path_verified = true;
      record.last_seen = now;
      record.next_heartbeat = now;
      add(std::move(record), changes);
      due = true;
    }
  }
  subscribers_->notify(changes);
  return due;
}

std::vector<HeartbeatTarget> ClusterRegistry::take_due(RegistryClock::time_point now) {
  std::lock_guard lock(mutex_);
  std::vector<HeartbeatTarget> out;
  for (auto& p : peers_) {
    if (p.heartbeat_running || p.next_heartbeat > now || p.paths.empty()) continue;
    const bool unverified = unverified_path(p);
    if (unverified) {
      if (unverified_running_.size() >= limits_.max_unverified_in_flight) continue;
      if (!unverified_heartbeats_.take(now)) continue;
      unverified_running_.insert(p.handle);
    }
    p.heartbeat_running = true;
    p.last_started = now;
    std::string id = p.id.value_or(std::string());
    // A --peer is addressed by id only while that id is confirmed: identified, and its last heartbeat
    // answered.
    const bool confirmed = !p.configured() || (p.state == PeerState::kReachable && p.failures == 0);
    // The path that answered last; after a failure, the next one (a LAN path that stopped answering, with
    // the relay still there).
    if (p.active_path >= p.paths.size()) p.active_path = 0;
    p.trying_path =
        p.failures > 0 ? (p.active_path + static_cast<size_t>(p.failures)) % p.paths.size() : p.active_path;
    out.push_back(
        HeartbeatTarget{p.handle, p.paths[p.trying_path], id, confirmed ? id : std::string(), unverified});
  }
  return out;
}

Result<Transition> ClusterRegistry::heartbeat_done(RecordId record, NodeStatus status,
                                                   RegistryClock::time_point now) {
  Changes changes;
  std::optional<Result<Transition>> result;
  {
    std::lock_guard lock(mutex_);
    ended(record);
    auto* p = find(record);
    if (!p) return Transition{status.name, PeerState::kPending, PeerState::kPending};
    p->heartbeat_running = false;
    // A --peer is whoever answers at its address: one that answers with another id (reinstalled, or the
    // address went to another machine of the cluster) is re-keyed like one answering the first time.
    const bool unidentified = !p->id || (p->configured() && status.id != *p->id);
    if (status.id == self_id_) {
      std::string name = p->status.name;
      remove(*p, RemovalReason::kIsSelf, changes);
      result = ApiError::invalid_request("'" + name + "' is this node itself");
    } else if (!unidentified && status.id != *p->id) {
      std::string error = "answered as another node (" + status.id + ")";
      failed(*p, error, now, changes);
      result = ApiError::server(502, error);
    } else {
      std::string former_id;
      if (unidentified) {
        // A --peer tells who it is: it takes over any record of that node found otherwise (e.g. by mDNS).
        former_id = p->id.value_or(std::string());
        int forwarded = p->forwarded;
        for (;;) {
          auto other = std::find_if(peers_.begin(), peers_.end(), [&](const PeerRecord& r) {
            return r.id == status.id && r.handle != record;
          });
          if (other == peers_.end()) break;
          forwarded = std::max(forwarded, other->forwarded);
          remove(*other, RemovalReason::kReplaced, changes);
        }
        p = find(record);
        p->id = status.id;
        p->forwarded = forwarded;
      }
      const Profile before = profile_of(*p);
      const PeerState state = p->state;
      const bool models = !same_models(p->status.models, status.models);
      Transition t{status.name, p->state, PeerState::kReachable};
      p->status = std::move(status);
      set_found_path(*p, std::string(), p->status.port);  // a --peer may be behind a port forward: kept
      p->state = PeerState::kReachable;
      if (p->trying_path < p->paths.size()) p->active_path = p->trying_path;
      p->verified = p->path_verified = true;
      p->failures = 0;
      p->last_error.clear();
      p->last_seen = now;
      p->next_heartbeat = now + timing_.heartbeat_interval;
      tell(*p, state, before, models, former_id, revision_, changes);
      result = std::move(t);
    }
  }
  subscribers_->notify(changes);
  return std::move(*result);
}

Transition ClusterRegistry::failed(PeerRecord& p, const std::string& error, RegistryClock::time_point now,
                                   Changes& changes) {
  p.heartbeat_running = false;
  p.failures = std::min(p.failures + 1, 1000);
  p.last_error = error;
  Transition t{p.status.name, p.state, p.state};
  if (p.failures >= timing_.failures_to_unreachable) t.after = p.state = PeerState::kUnreachable;
  p.next_heartbeat = now + backoff(p.failures);
  if (t.after != t.before) tell(p, t.before, profile_of(p), false, {}, revision_, changes);
  return t;
}

std::optional<Transition> ClusterRegistry::heartbeat_failed(RecordId record, const std::string& error,
                                                            RegistryClock::time_point now) {
  Changes changes;
  std::optional<Transition> t;
  {
    std::lock_guard lock(mutex_);
    ended(record);
    auto* p = find(record);
    if (!p) return std::nullopt;
    t = failed(*p, error, now, changes);
  }
  subscribers_->notify(changes);
  return t;
}

std::vector<std::string> ClusterRegistry::prune(RegistryClock::time_point now) {
  Changes changes;
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mutex_);
    for (;;) {
      auto silent = std::find_if(peers_.begin(), peers_.end(), [&](const PeerRecord& p) {
        return !p.configured() && p.state != PeerState::kReachable && !p.heartbeat_running &&
               now - p.last_seen > timing_.prune_after;
      });
      if (silent == peers_.end()) break;
      gone.push_back(silent->status.name);
      remove(*silent, RemovalReason::kPruned, changes);
    }
  }
  subscribers_->notify(changes);
  return gone;
}

std::optional<RegistryClock::time_point> ClusterRegistry::next_due() const {
  std::lock_guard lock(mutex_);
  std::optional<RegistryClock::time_point> next;
  for (const auto& p : peers_) {
    if (p.heartbeat_running || p.paths.empty()) continue;
    auto at = p.next_heartbeat;
    if (unverified_path(p)) {
      // Held back until one in flight ends (which wakes the heartbeat loop anyway) or a token comes.
      if (unverified_running_.size() >= limits_.max_unverified_in_flight) continue;
      at = std::max(at, unverified_heartbeats_.next_token(at));
    }
    if (!next || at < *next) next = at;
  }
  return next;
}

uint64_t ClusterRegistry::displaced_leads() const {
  std::lock_guard lock(mutex_);
  return displaced_;
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
      out.push_back(PeerHolder{p.status.id, p.status.name, m.loaded,
                               std::max(p.status.in_flight, p.forwarded), p.status.capacity});
      break;
    }
  }
  return out;
}

bool ClusterRegistry::is_reachable(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return std::any_of(peers_.begin(), peers_.end(),
                     [&](const PeerRecord& p) { return p.id == id && p.state == PeerState::kReachable; });
}

std::optional<PeerReach> ClusterRegistry::reach(const std::string& id) const {
  std::lock_guard lock(mutex_);
  for (const auto& p : peers_) {
    if (p.id == id && !p.paths.empty()) {
      PeerReach reach{p.status.name, p.paths};
      if (p.active_path < reach.paths.size())
        std::rotate(reach.paths.begin(), reach.paths.begin() + static_cast<std::ptrdiff_t>(p.active_path),
                    reach.paths.end());
      return reach;
    }
  }
  return std::nullopt;
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
