// ClusterRegistry: the single owner of "which nodes of this cluster exist, how to reach them, which models
// they hold and how busy they are" (ARCHITECTURE.md "Inside a node"). mDNS, --peer and heartbeats write to
// it; the router, /v1/models, /v1/cluster/nodes and `quorum nodes` read from it. Pure state: every call takes
// the time, nothing here does I/O, so the presence rules are unit-tested with a fake clock. Thread-safe.
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
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/node_status.h"

namespace quorum::cluster {

using RegistryClock = std::chrono::steady_clock;

struct PresenceTiming {
  std::chrono::milliseconds heartbeat_interval{2000};
  std::chrono::milliseconds first_retry{250};
  int failures_to_unreachable = 3;
  std::chrono::milliseconds max_backoff{10000};
  std::chrono::milliseconds prune_after{std::chrono::minutes(5)};
};

enum class PeerState { kPending, kReachable, kUnreachable };
std::string_view to_string(PeerState state);

struct PeerRecord {
  // The node id; for a --peer that has not answered yet, "peer:HOST:PORT".
  std::string key;
  NodeStatus status;  // id, name, version and port are known from mDNS before the first heartbeat
  std::string address;
  bool static_peer = false;  // named by --peer: never pruned, always dialled at the address and port given
  unsigned short static_port = 0;
  PeerState state = PeerState::kPending;
  int failures = 0;
  std::string last_error;
  int forwarded = 0;                      // requests this node has in flight to it
  RegistryClock::time_point last_seen{};  // last heartbeat answered (or when first heard of)
  RegistryClock::time_point next_heartbeat{};
  bool heartbeat_running = false;
};

enum class GoodbyeResult { kUnknown, kRemoved, kCheck };

// A heartbeat to send now.
struct HeartbeatTarget {
  std::string key;
  std::string address;
  unsigned short port = 0;
  std::string expected_id;  // empty for a --peer not yet identified
  // Whom the request is addressed to (peer_proof.h): the node id, but nobody in particular for a --peer,
  // which is whoever answers at its address.
  std::string to;
};

// A change of a node's state, for the log.
struct Transition {
  std::string name;
  PeerState before = PeerState::kPending;
  PeerState after = PeerState::kPending;
};

// A reachable peer whose engines offer a model.
struct PeerHolder {
  std::string id;
  std::string name;
  std::string address;
  unsigned short port = 0;
  bool loaded = false;
  int in_flight = 0;  // the larger of what it reported and what this node is sending it
  int capacity = 1;
};

class ClusterRegistry {
 public:
  ClusterRegistry(std::string self_id, PresenceTiming timing);

  const PresenceTiming& timing() const { return timing_; }

  // A --peer HOST:PORT.
  void add_static(const std::string& address, unsigned short port, RegistryClock::time_point now);
  // An mDNS announcement of a node of this cluster. True when a heartbeat became due now: the node is new, or
  // not reachable now (so a node that comes back is tried at once). mDNS is not authenticated: the announced
  // address replaces the known one only while the node is not reachable, and is used only once a signed
  // heartbeat answers there.
  bool announced(const std::string& id, const std::string& name, const std::string& version,
                 const std::string& address, unsigned short port, RegistryClock::time_point now);
  // An mDNS goodbye from `from_address`: removes the node when it comes from the node's known address; from
  // anywhere else (it could be forged), or for a --peer, it only makes a heartbeat due now (kCheck).
  GoodbyeResult goodbye(const std::string& id, const std::string& from_address,
                        RegistryClock::time_point now);
  // A peer's (authenticated) heartbeat reached us from `address`, which becomes its address unless it is
  // reachable at another one now or is a --peer. True when a heartbeat of ours became due now (a node we
  // did not know, or one we thought unreachable).
  bool called_by(const NodeStatus& status, const std::string& address, RegistryClock::time_point now);

  // The heartbeats due at `now`; each is marked running until heartbeat_done/failed is called.
  std::vector<HeartbeatTarget> take_due(RegistryClock::time_point now);
  // The heartbeat to `key` was answered with `status`. Fails when the answer came from this node itself or
  // from another node than the one expected; the record is then dropped (a --peer naming this node) or
  // treated as a failed heartbeat.
  Result<Transition> heartbeat_done(const std::string& key, NodeStatus status, RegistryClock::time_point now);
  std::optional<Transition> heartbeat_failed(const std::string& key, const std::string& error,
                                             RegistryClock::time_point now);
  // Removes nodes silent for longer than prune_after; returns their names.
  std::vector<std::string> prune(RegistryClock::time_point now);
  // When the next heartbeat is due (nullopt: none is).
  std::optional<RegistryClock::time_point> next_due() const;

  std::vector<PeerRecord> snapshot() const;
  // Reachable nodes whose engines offer `model`.
  std::vector<PeerHolder> holders(const std::string& model) const;
  bool is_reachable(const std::string& id) const;
  // Names of the nodes not reachable now that offered `model` when they last answered.
  std::vector<std::string> unreachable_holders(const std::string& model) const;
  // This node starts (+1) or ends (-1) a request forwarded to node `id`.
  void forwarding(const std::string& id, int delta);

 private:
  PeerRecord* find(const std::string& key);
  std::chrono::milliseconds backoff(int failures) const;

  const std::string self_id_;
  const PresenceTiming timing_;
  mutable std::mutex mutex_;
  std::vector<PeerRecord> peers_;
};

}  // namespace quorum::cluster
