// Several relays sharing one database (docs/relay.md, "Several relays"): what the store keeps of each relay
// and how often. Every relay registers itself when it starts (its id and the URL the others and the nodes
// reach it at), refreshes its row every kRelayHeartbeat, and deletes it on a clean shutdown; a relay not
// seen for kRelayLiveFor is dead, and its clusters move to the live ones (mesh_home.h). The store also holds
// one mesh secret, made at random by the first relay that asks and the same for all of them after: it signs
// the requests one relay forwards to another (mesh_home.h, mesh_signature).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace quorum::relay {

inline constexpr std::chrono::seconds kRelayHeartbeat{2};
inline constexpr std::chrono::seconds kRelayLiveFor{6};

struct RelayRecord {
  std::string id;   // the relay's id (relay-id in its data directory)
  std::string url;  // where the others and the nodes reach it: http(s)://host:port (--advertise)
  int64_t started_at = 0;
  int64_t last_seen_at = 0;
};

}  // namespace quorum::relay
