// ClusterRegistry: the single owner of "which nodes of this cluster exist, how to reach them, which models
// they hold and how busy they are" (ARCHITECTURE.md "Inside a node"). mDNS, --peer and heartbeats write to
// it; the router, /v1/models, /v1/cluster/nodes and `quorum nodes` read from it. Pure state: every call takes
// the time, nothing here does I/O, so the presence rules are unit-tested with a fake clock. Thread-safe.
//
// A record is one node (or one --peer not identified yet) and the paths to reach it: today LAN paths, each
// either configured (given by --peer: always dialled at that address and port) or found (mDNS, or the address
// a heartbeat came from). A record keeps its RecordId for life, even when a --peer learns who it is.
//
// Presence rules:
//  - A node found by mDNS, named by --peer, or that sent us a heartbeat is "pending" and due for a heartbeat
//    at once. A heartbeat that answers makes it "reachable" (routed to) with the models, engines, in-flight
//    and capacity it reported; the next one is due `heartbeat_interval` later.
//  - A failed heartbeat is retried with backoff (250 ms, then doubling); after `failures_to_unreachable`
//    failures in a row the node is "unreachable" (not routed to) and retried every `heartbeat_interval`,
//    doubling up to `max_backoff`. It is reachable again as soon as one heartbeat answers.
//  - A node that has not answered for `prune_after` is removed, unless it was named by --peer (those stay,
//    unreachable, and keep being tried). An mDNS goodbye removes a node at once.
//  - A node that calls us while we think it unreachable is due for a heartbeat at once.
//  - What makes a heartbeat due early (an announcement, a goodbye from elsewhere, a call while unreachable)
//    does so at most once per `early_heartbeat_gap` after the last one started: a flood of them costs one
//    heartbeat per gap, not one per packet.
//
// Leads (LeadLimits): mDNS is not authenticated, and anyone on the LAN can copy the cluster fingerprint and
// announce made-up nodes at any address. A node known only from mDNS is a lead until a signed heartbeat
// answer verifies it. At most `max_unverified` leads are kept (one more displaces the lead heard first), and
// heartbeats to a path no signed answer came from yet (a lead's, or one mDNS moved) are rate-limited and
// capped in number at once. Verified nodes (answered once, or called us with a proof) and --peers are never
// displaced and their heartbeats are never held back.
//
// Changes (subscribe()): a node appeared, became reachable, became unreachable, was removed (and why), its
// models changed (ids or loaded state), or the rest of what it is changed (id, name, version, port, engines,
// capacity, paths). Its in-flight count, failures and last error are not changes: they move on every
// heartbeat. How they are collected under the lock and told after it: registry_changes.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "cluster/node_status.h"
#include "core/rate_limit.h"
#include "core/subscription.h"

namespace quorum::cluster {

using RegistryClock = std::chrono::steady_clock;

struct PresenceTiming {
  std::chrono::milliseconds heartbeat_interval{2000};
  std::chrono::milliseconds first_retry{250};
  int failures_to_unreachable = 3;
  std::chrono::milliseconds max_backoff{10000};
  std::chrono::milliseconds prune_after{std::chrono::minutes(5)};
  std::chrono::milliseconds early_heartbeat_gap{1000};
};

// What unverified leads may cost (see "Leads" above).
struct LeadLimits {
  size_t max_unverified = 128;
  double unverified_heartbeats_per_second = 10;
  double unverified_heartbeat_burst = 20;
  size_t max_unverified_in_flight = 16;
};

enum class PeerState { kPending, kReachable, kUnreachable };
std::string_view to_string(PeerState state);

// A path to a node over the LAN: HTTP to its API at `address`:`port`.
struct LanPath {
  std::string address;
  unsigned short port = 0;
  // Given by --peer: always dialled at this address and port, never moved by what the peer reports or by
  // mDNS. Otherwise found (mDNS, or the address a heartbeat came from) and following the node.
  bool configured = false;
  bool operator==(const LanPath&) const = default;
};

// A path through the relay this node keeps a link to (node/relay_client.h): a stream of the link to node
// `node_id`, TLS with the cluster's key inside, which the relay only copies.
struct RelayPath {
  std::string node_id;
  bool operator==(const RelayPath&) const = default;
};

// One way to reach a node: its LAN paths come first, a relay path after them. Code that only asks "how do I
// reach node X" goes through ClusterNode::peer_backend and never looks inside.
using PeerPath = std::variant<LanPath, RelayPath>;

// A record's handle: stable for the life of the record, never reused.
using RecordId = uint64_t;

struct PeerRecord {
  RecordId handle = 0;  // stable for the life of the record
  // The node id; nullopt for a --peer that has not answered yet.
  std::optional<std::string> id;
  NodeStatus status;  // id, name, version and port are known from mDNS before the first heartbeat
  // How to reach it, the preferred first: at most one LAN path (configured for a --peer, found otherwise),
  // then at most one relay path.
  std::vector<PeerPath> paths;
  // The path its last answered heartbeat went over (an index into `paths`), which requests take too; and
  // the one the heartbeat under way takes. After a failure, the next heartbeat tries the next path.
  size_t active_path = 0;
  size_t trying_path = 0;
  PeerState state = PeerState::kPending;
  int failures = 0;
  std::string last_error;
  int forwarded = 0;                      // requests this node has in flight to it
  RegistryClock::time_point last_seen{};  // last heartbeat answered (or when first heard of)
  RegistryClock::time_point next_heartbeat{};
  RegistryClock::time_point last_started{};  // when its last heartbeat started
  bool heartbeat_running = false;
  // A signed heartbeat answer came from this node once (or it called us with a proof). A record that is not
  // verified and not a --peer is a lead (see "Leads").
  bool verified = false;
  // Its current path is where a signed answer (or a signed call) came from. mDNS moves the path of a node
  // that is not reachable; heartbeats to a path not verified are rate-limited.
  bool path_verified = false;
  // Which change it was last told to subscribers in (RegistryChange): increases with every change.
  uint64_t revision = 0;

  // Named by --peer (it has a configured path): never pruned, always dialled where it was given.
  bool configured() const;
  // Its first LAN path, or null.
  const LanPath* lan_path() const;
  // True when it has a relay path.
  bool via_relay() const;
};

// What an mDNS goodbye did: nothing (an unknown node), removed the node, made a heartbeat due early to check
// it (kCheck), or nothing more because a check is already running or due (kChecking).
enum class GoodbyeResult { kUnknown, kRemoved, kCheck, kChecking };

// A heartbeat to send now.
struct HeartbeatTarget {
  RecordId record = 0;      // the handle of the record it is for
  PeerPath path;            // where to send it
  std::string expected_id;  // empty for a --peer not yet identified
  // Whom the heartbeat is addressed to (peer_proof.h): the node id. Empty for a --peer that is not
  // identified, or whose last heartbeat failed (its address may have gone to another node of the cluster):
  // the sender first asks who answers there (GET /v1/cluster/identity, signed answer) and addresses the
  // heartbeat to that node, so that no heartbeat is valid at any other node.
  std::string to;
  // Its path is not verified: counted against the rate limit of such heartbeats (LeadLimits).
  bool unverified = false;
};

// A change of a node's state, for the log.
struct Transition {
  std::string name;
  PeerState before = PeerState::kPending;
  PeerState after = PeerState::kPending;
};

enum class ChangeKind {
  kAppeared,       // a new record: found by mDNS, named by --peer, or a node that called us
  kReachable,      // a heartbeat answered after it was pending or unreachable
  kUnreachable,    // its heartbeats failed `failures_to_unreachable` times in a row
  kRemoved,        // the record is gone (`removal` says why)
  kModelsChanged,  // the ids or loaded state of its models
  kStatusChanged,  // its id, name, version, port, engines, capacity or paths
};
std::string_view to_string(ChangeKind kind);

enum class RemovalReason {
  kNone,
  kPruned,     // silent for longer than prune_after
  kGoodbye,    // an mDNS goodbye from its address
  kReplaced,   // a --peer answered as this node and took over: the node itself stays, in that record
  kIsSelf,     // a --peer that turned out to be this node
  kDisplaced,  // a lead displaced by newer ones (more than LeadLimits::max_unverified)
  kRelayGone,  // known only through the relay, which no longer carries it
};
std::string_view to_string(RemovalReason reason);

// What changed, told to subscribers. One operation may tell several (e.g. a first answer: kReachable,
// kModelsChanged, kStatusChanged); those share `record.revision` and carry the same copy of the record.
struct RegistryChange {
  ChangeKind kind = ChangeKind::kAppeared;
  RemovalReason removal = RemovalReason::kNone;  // set for kRemoved only
  std::string node_id;                           // empty for a --peer that has not answered yet
  std::string name;
  // kStatusChanged when a --peer is answered by another node than before (reinstalled, or its address went
  // to another machine): the id the record had. Empty otherwise.
  std::string former_id;
  PeerRecord record;  // the record after the change (for kRemoved: as it was when removed)
};

// How to reach a node: its name and its paths, the one that answered last first.
struct PeerReach {
  std::string name;
  std::vector<PeerPath> paths;
};

// A reachable peer whose engines offer a model.
struct PeerHolder {
  std::string id;
  std::string name;
  bool loaded = false;
  int in_flight = 0;  // the larger of what it reported and what this node is sending it
  int capacity = 1;
};

class RegistrySubscribers;  // registry_changes.h

class ClusterRegistry {
 public:
  ClusterRegistry(std::string self_id, PresenceTiming timing, LeadLimits limits = {});

  const PresenceTiming& timing() const { return timing_; }

  // Calls `on_change` with every change from now on, until the Subscription is destroyed or reset.
  //  - It runs on the thread that made the change, after the registry's lock is released, so it may call the
  //    registry (a change it makes is told after it returns, to every subscriber). It must be quick and must
  //    not block or throw: a subscriber with work to do posts it to its own executor.
  //  - Changes made on different threads may reach a subscriber out of order: `record.revision` orders them
  //    (a change whose revision is below the last one seen for that RecordId is stale). A subscriber that
  //    keeps its own view subscribes first, then takes snapshot(), whose records carry their revision.
  //  - Unsubscribing is safe from any thread, from inside a callback (this one's or another's), and after the
  //    registry is gone. Once reset() returns no new call starts; one already running on another thread may
  //    still finish, so the callback holds what it uses by value or shared/weak pointer.
  Subscription subscribe(std::function<void(const RegistryChange&)> on_change);

  // A --peer HOST:PORT.
  void add_static(const std::string& address, unsigned short port, RegistryClock::time_point now);
  // An mDNS announcement of a node of this cluster. True when a heartbeat became due (sooner): the node is
  // new, or not reachable now (so a node that comes back is tried at once, within early_heartbeat_gap). mDNS
  // is not authenticated: the announced address replaces the known one only while the node is not
  // reachable, and is used only once a signed heartbeat answers there. A new node is a lead (see "Leads").
  bool announced(const std::string& id, const std::string& name, const std::string& version,
                 const std::string& address, unsigned short port, RegistryClock::time_point now);
  // An mDNS goodbye from `from_address`: removes the node when it comes from the node's known address; from
  // anywhere else (it could be forged), or for a --peer, it only makes a heartbeat due early (kCheck), at
  // most once per early_heartbeat_gap (kChecking otherwise).
  GoodbyeResult goodbye(const std::string& id, const std::string& from_address,
                        RegistryClock::time_point now);
  // The relay this node is linked to says node `id` (named `name`) of this cluster is connected to it: the
  // node gets a relay path (after its LAN path). A node known only this way is a lead (the relay checked its
  // enrolment; the first heartbeat through it, TLS with the cluster's key, verifies it) and is due for a
  // heartbeat at once; one not reachable now is due early.
  void relay_member(const std::string& id, const std::string& name, RegistryClock::time_point now);
  // The relay no longer carries node `id` (or any node: the link is down, `id` empty): its relay path goes;
  // a node left with no path is removed (kRelayGone).
  void relay_gone(const std::string& id, RegistryClock::time_point now);
  // A peer's (authenticated) heartbeat reached us from `address`, which becomes its address unless it is
  // reachable at another one now or is a --peer. True when a heartbeat of ours became due now (a node we
  // did not know, or one we thought unreachable).
  bool called_by(const NodeStatus& status, const std::string& address, RegistryClock::time_point now);

  // The heartbeats due at `now`, each to the record's preferred path; each is marked running until
  // heartbeat_done/failed is called. A record with no path is never due. Heartbeats to unverified paths
  // beyond the rate or the number in flight (LeadLimits) stay due for later.
  std::vector<HeartbeatTarget> take_due(RegistryClock::time_point now);
  // The heartbeat to `record` was answered with `status`. Fails when the answer came from this node itself or
  // from another node than the one expected; the record is then dropped (a --peer naming this node) or
  // treated as a failed heartbeat. A record gone meanwhile is left alone.
  Result<Transition> heartbeat_done(RecordId record, NodeStatus status, RegistryClock::time_point now);
  std::optional<Transition> heartbeat_failed(RecordId record, const std::string& error,
                                             RegistryClock::time_point now);
  // Removes nodes silent for longer than prune_after; returns their names.
  std::vector<std::string> prune(RegistryClock::time_point now);
  // When the next heartbeat is due (nullopt: none is), the rate limit of unverified heartbeats included.
  std::optional<RegistryClock::time_point> next_due() const;
  // How many leads were displaced since the start (more than max_unverified heard at once: an mDNS flood).
  uint64_t displaced_leads() const;

  std::vector<PeerRecord> snapshot() const;
  // Reachable nodes whose engines offer `model`.
  std::vector<PeerHolder> holders(const std::string& model) const;
  bool is_reachable(const std::string& id) const;
  // How to reach node `id`, reachable now or not; nullopt when it is unknown or has no path.
  std::optional<PeerReach> reach(const std::string& id) const;
  // Names of the nodes not reachable now that offered `model` when they last answered.
  std::vector<std::string> unreachable_holders(const std::string& model) const;
  // This node starts (+1) or ends (-1) a request forwarded to node `id`.
  void forwarding(const std::string& id, int delta);

 private:
  using Changes = std::vector<RegistryChange>;

  // The record of node `id`, or with handle `record`; null when there is none. Under the lock.
  PeerRecord* find(const std::string& id);
  PeerRecord* find(RecordId record);
  // Adds a new record (kAppeared). Under the lock.
  void add(PeerRecord record, Changes& changes);
  // Removes the record `p` (kRemoved); `p` is invalid after. Under the lock.
  void remove(const PeerRecord& p, RemovalReason reason, Changes& changes);
  // A failed heartbeat to `p`. Under the lock.
  Transition failed(PeerRecord& p, const std::string& error, RegistryClock::time_point now, Changes& changes);
  std::chrono::milliseconds backoff(int failures) const;
  // Makes a heartbeat to `p` due as soon as early_heartbeat_gap allows, unless one is running. True when it
  // is due now or became due sooner. Under the lock.
  bool due_early(PeerRecord& p, RegistryClock::time_point now);
  // Room for one more lead: displaces the lead heard first when there are max_unverified. Under the lock.
  void make_room_for_lead(Changes& changes);
  // The heartbeat to `record` ended: no longer counted in flight. Under the lock.
  void ended(RecordId record);

  const std::string self_id_;
  const PresenceTiming timing_;
  const LeadLimits limits_;
  mutable std::mutex mutex_;
  std::vector<PeerRecord> peers_;
  TokenBucket unverified_heartbeats_;
  std::set<RecordId> unverified_running_;  // heartbeats to unverified paths in flight (at most the limit)
  uint64_t displaced_ = 0;
  RecordId next_record_ = 1;
  uint64_t revision_ = 0;
  // Told the changes after the lock is released (never under it). Shared with the Subscriptions, which may
  // outlive the registry.
  std::shared_ptr<RegistrySubscribers> subscribers_;
};

}  // namespace quorum::cluster
