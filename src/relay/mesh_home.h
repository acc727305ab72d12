// Pure logic of several relays sharing one database (docs/relay.md, "Several relays"); no I/O here.
//
// Home: a cluster's home relay is the live relay with the largest weight(cluster_id, relay_id), the first 8
// bytes of SHA-256 over both (rendezvous hashing). Every relay computes the same home from the same live
// list, and a relay that comes or goes moves only the clusters whose home it becomes or was.
//
// Forwarding: a request that reaches a relay which is not its cluster's home goes one hop to the home, with
// the client's Authorization unchanged and three headers that prove it comes from a relay of the same
// database: the sender's id, the time, and an HMAC-SHA256 with the mesh secret over (method, target,
// SHA-256 of the body, time, sender). A request that carries them is served where it arrives, never
// forwarded again (the loop guard).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "relay/mesh_registry.h"

namespace quorum::relay {

inline constexpr std::string_view kMeshFromHeader = "X-Quorum-Mesh-From";
inline constexpr std::string_view kMeshTimeHeader = "X-Quorum-Mesh-Time";
inline constexpr std::string_view kMeshSignatureHeader = "X-Quorum-Mesh-Signature";
// A forwarded request is accepted within this many seconds of the receiver's clock.
inline constexpr int64_t kMeshMaxSkewSeconds = 60;

// The rendezvous weight of `relay_id` for `cluster_id`.
uint64_t home_weight(std::string_view cluster_id, std::string_view relay_id);

// The home of `cluster_id` among `relays` (the live ones): the largest weight, the smaller id on a tie;
// nullptr when `relays` is empty.
const RelayRecord* home_relay(std::string_view cluster_id, std::span<const RelayRecord> relays);

// The HMAC (hex) that proves a forwarded request: over its method, target, SHA-256 of its body, the Unix
// time and the sender's relay id.
std::string mesh_signature(std::string_view secret, std::string_view method, std::string_view target,
                           std::string_view body, int64_t unix_seconds, std::string_view from_relay);

// Whether the headers' values prove a forwarded request at `now`: a decimal time within
// kMeshMaxSkewSeconds, a sender id, and the signature (compared in constant time).
bool mesh_signature_ok(std::string_view secret, std::string_view method, std::string_view target,
                       std::string_view body, std::string_view time_text, std::string_view from_relay,
                       std::string_view signature, int64_t now);

}  // namespace quorum::relay
