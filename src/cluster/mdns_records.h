// What a Quorum node says and hears over mDNS (pure): the DNS-SD records of `_quorum._tcp.local` and how
// announcements of other nodes are read back.
//
// A node announces PTR `_quorum._tcp.local` -> `<node id>._quorum._tcp.local`, SRV (API port, host
// `<node id>.local`), TXT `id=<node id>`, `v=<version>`, `c=<cluster fingerprint>`, `n=<friendly name>`, and
// an A record per IPv4 address it offers (preferred first). TTLs: 120 s for SRV/A/TXT and 4500 s for the PTR
// (RFC 6762 section 10); a goodbye is the same records with TTL 0.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cluster/dns_message.h"

namespace quorum::cluster {

inline constexpr std::string_view kQuorumService = "_quorum._tcp.local";

struct ServiceAnnouncement {
  std::string node_id;
  std::string name;
  std::string version;
  std::string fingerprint;
  uint16_t port = 0;
  std::vector<std::array<uint8_t, 4>> addresses;  // IPv4, preferred first
  uint32_t ttl = 120;                             // 0: goodbye
};

// The unsolicited response (or the answer to a query) that announces `a`.
dns::Message announcement(const ServiceAnnouncement& a);
// A browse query: PTR `_quorum._tcp.local`, with the QU bit when `unicast_response`.
dns::Message browse_query(bool unicast_response = false);
// True when `m` is a query that asks for our service (PTR of the service type, or ANY).
bool asks_for_quorum(const dns::Message& m);
// At most this many nodes are read from one packet (a node announces itself alone; a packet naming hundreds
// is a flood, and reading each costs time in proportion to the packet).
inline constexpr size_t kMaxAnnouncementsPerPacket = 16;

// The Quorum nodes announced in a response: one entry per instance that has a TXT with `id` and an SRV, the
// first kMaxAnnouncementsPerPacket of them. An id that could not travel in a heartbeat (control characters,
// over 512 bytes: valid_status_text) is no node; a name or version that could not is replaced by the id or
// left empty. Addresses come from A records for the SRV host; when there are none, `sender` (the packet's
// source) is used. ttl 0 entries are goodbyes.
std::vector<ServiceAnnouncement> read_announcements(const dns::Message& m,
                                                    std::optional<std::array<uint8_t, 4>> sender);

}  // namespace quorum::cluster
