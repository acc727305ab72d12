// Which link an mDNS packet came from, and whether its sender is on that link (pure; the interface table is
// read by mdns_service.cpp). mDNS is link-local: RFC 6762 section 11 has a responder ignore packets whose
// source is not on the link they arrived on, so a host beyond a router (which can still reach UDP 5353 by
// unicast) cannot feed the node announcements, goodbyes or queries.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace quorum::cluster {

using Ipv4 = std::array<uint8_t, 4>;

// One IPv4 address of one of this host's interfaces.
struct InterfaceAddress {
  unsigned ifindex = 0;
  Ipv4 address{};
  Ipv4 netmask{};
  // Point-to-point links: the address of the other end (the only neighbour), when the interface has one.
  std::optional<Ipv4> peer;
  bool operator==(const InterfaceAddress&) const = default;
};

// True when `source` can be a neighbour on interface `ifindex`: inside the subnet of one of its addresses,
// the other end of a point-to-point link, or IPv4 link-local (169.254.0.0/16, never routed). `ifindex` 0
// (the arrival interface is unknown) accepts a neighbour of any interface in `table`.
bool on_link(const std::vector<InterfaceAddress>& table, unsigned ifindex, const Ipv4& source);

// The interface that holds `address` (0 when none does).
unsigned interface_of(const std::vector<InterfaceAddress>& table, const Ipv4& address);

}  // namespace quorum::cluster
