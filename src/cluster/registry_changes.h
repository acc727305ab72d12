// The change notification of ClusterRegistry (cluster_registry.h, "Changes" and subscribe()), for
// cluster_registry.cpp. Two halves, on either side of the registry's lock:
//  - Under the lock, what changed in a record is collected as RegistryChange values: the registry notes the
//    record's Profile (and whether its models change) before an operation, and tell() compares after it,
//    giving the record a new revision when anything a subscriber hears about changed. Pure functions of the
//    record; the revision counter is the registry's, guarded by its lock.
//  - After the lock is released, RegistrySubscribers tells them to every subscriber, in order, on the thread
//    that made the change. The table has its own lock, never held while a callback runs, so a callback may
//    call the registry, subscribe, or unsubscribe (itself or another).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/cluster_registry.h"
#include "core/subscription.h"

namespace quorum::cluster {

// What a node is, apart from its models and its load: a change of it is a kStatusChanged.
struct Profile {
  std::string id;
  std::string name;
  std::string version;
  unsigned short port = 0;
  std::vector<std::string> engines;
  int capacity = 1;
  std::vector<PeerPath> paths;
  bool operator==(const Profile&) const = default;
};

Profile profile_of(const PeerRecord& p);

// The same models, as far as routing is concerned: ids and loaded state.
bool same_models(const std::vector<ModelState>& a, const std::vector<ModelState>& b);

// A change of `kind` to `p`, carrying a copy of it (and its revision as it is now).
RegistryChange change_of(const PeerRecord& p, ChangeKind kind);

// Appends to `changes` what changed in `p` since it was `state` and `before` (and `models` changed or not),
// under one new revision taken from `revision`. `former_id` goes with a kStatusChanged. Nothing changed:
// appends nothing and leaves `p.revision` and `revision` alone.
void tell(PeerRecord& p, PeerState state, const Profile& before, bool models, const std::string& former_id,
          uint64_t& revision, std::vector<RegistryChange>& changes);

// The registry's subscribers. Create it with std::make_shared: a Subscription holds it weakly, so it may
// outlive the table (and the registry), and ending it then does nothing. Thread-safe.
class RegistrySubscribers : public std::enable_shared_from_this<RegistrySubscribers> {
 public:
  using Callback = std::function<void(const RegistryChange&)>;

  // Calls `on_change` with every change notified from now on, until the Subscription is destroyed or reset
  // (from any thread, from inside a callback, or after the table is gone). Once reset() returns no new call
  // starts; one already running on another thread may still finish. The callback is destroyed outside the
  // table's lock.
  Subscription subscribe(Callback on_change);

  // Calls the subscribers with `changes`, in order, on this thread: each change to every subscriber that was
  // subscribed when this began and has not unsubscribed since. Never under the registry's lock.
  void notify(const std::vector<RegistryChange>& changes) const;

 private:
  struct Entry {
    Callback on_change;
    std::atomic<bool> active{true};
  };

  mutable std::mutex mutex_;
  std::map<uint64_t, std::shared_ptr<Entry>> entries_;
  uint64_t next_ = 1;
};

}  // namespace quorum::cluster
