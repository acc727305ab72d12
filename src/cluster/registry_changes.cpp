#include "cluster/registry_changes.h"

#include <algorithm>

namespace quorum::cluster {

std::string_view to_string(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAppeared:
      return "appeared";
    case ChangeKind::kReachable:
      return "reachable";
    case ChangeKind::kUnreachable:
      return "unreachable";
    case ChangeKind::kRemoved:
      return "removed";
    case ChangeKind::kModelsChanged:
      return "models_changed";
    case ChangeKind::kStatusChanged:
      return "status_changed";
  }
  return "unknown";
}

std::string_view to_string(RemovalReason reason) {
  switch (reason) {
    case RemovalReason::kNone:
      return "none";
    case RemovalReason::kPruned:
      return "pruned";
    case RemovalReason::kGoodbye:
      return "goodbye";
    case RemovalReason::kReplaced:
      return "replaced";
    case RemovalReason::kIsSelf:
      return "is_self";
    case RemovalReason::kDisplaced:
      return "displaced";
    case RemovalReason::kRelayGone:
      return "relay_gone";
  }
  return "unknown";
}

Profile profile_of(const PeerRecord& p) {
  return Profile{p.status.id,      p.status.name,     p.status.version, p.status.port,
                 p.status.engines, p.status.capacity, p.paths};
}

bool same_models(const std::vector<ModelState>& a, const std::vector<ModelState>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const ModelState& x, const ModelState& y) {
    return x.id == y.id && x.loaded == y.loaded;
  });
}

RegistryChange change_of(const PeerRecord& p, ChangeKind kind) {
  RegistryChange c;
  c.kind = kind;
  c.node_id = p.id.value_or(std::string());
  c.name = p.status.name;
  c.record = p;
  return c;
}

void tell(PeerRecord& p, PeerState state, const Profile& before, bool models, const std::string& former_id,
          uint64_t& revision, std::vector<RegistryChange>& changes) {
  std::vector<ChangeKind> kinds;
  if (p.state != state && p.state == PeerState::kReachable) kinds.push_back(ChangeKind::kReachable);
  if (p.state != state && p.state == PeerState::kUnreachable) kinds.push_back(ChangeKind::kUnreachable);
  if (models) kinds.push_back(ChangeKind::kModelsChanged);
  if (!(profile_of(p) == before)) kinds.push_back(ChangeKind::kStatusChanged);
  if (kinds.empty()) return;
  p.revision = ++revision;
  for (auto kind : kinds) {
    changes.push_back(change_of(p, kind));
    if (kind == ChangeKind::kStatusChanged) changes.back().former_id = former_id;
  }
}

Subscription RegistrySubscribers::subscribe(Callback on_change) {
  auto entry = std::make_shared<Entry>();
  entry->on_change = std::move(on_change);
  uint64_t key = 0;
  {
    std::lock_guard lock(mutex_);
    key = next_++;
    entries_.emplace(key, std::move(entry));
  }
  return Subscription([weak = weak_from_this(), key] {
    auto subscribers = weak.lock();
    if (!subscribers) return;
    std::shared_ptr<Entry> gone;  // its callback is destroyed here, outside the lock
    std::lock_guard lock(subscribers->mutex_);
    if (auto it = subscribers->entries_.find(key); it != subscribers->entries_.end()) {
      gone = std::move(it->second);
      gone->active = false;
      subscribers->entries_.erase(it);
    }
  });
}

void RegistrySubscribers::notify(const std::vector<RegistryChange>& changes) const {
  if (changes.empty()) return;
  std::vector<std::shared_ptr<Entry>> entries;
  {
    std::lock_guard lock(mutex_);
    entries.reserve(entries_.size());
    for (const auto& [key, entry] : entries_) entries.push_back(entry);
  }
  for (const auto& change : changes) {
    for (const auto& entry : entries) {
      if (entry->active) entry->on_change(change);
    }
  }
}

}  // namespace quorum::cluster
