// Which sockets `quorum node` listens on, and the address its peers reach it at: a pure function of the
// --listen address, the thread count, cluster membership, --advertise and the LAN addresses found. Opening
// the sockets (and the plain-bind probe before SO_REUSEPORT) is node.cpp's part.
//
// The rules:
// - The API listens on the --listen host, one listener per thread. Several threads share the port through
//   SO_REUSEPORT.
// - A node in a cluster that serves loopback (the default) and has no --advertise also serves its peers on
//   every interface (0.0.0.0), same port, so that it stays reachable when its LAN address changes (Wi-Fi,
//   DHCP); that takes SO_REUSEPORT beside the loopback listener, and it keeps announcing the host's current
//   addresses. Only members of the cluster are served there (see Api::handle).
// - With --advertise, a loopback node listens on each address given instead (not twice on the --listen
//   host); without a cluster, --advertise is ignored.
// - A node that listens on a non-loopback address already serves its peers there: no other listener.
// - Peers reach the node at its first LAN address (found or advertised) when it listens on loopback,
//   otherwise at the --listen host.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace quorum::node {

using Ipv4 = std::array<uint8_t, 4>;

struct ListenInputs {
  std::string host;         // --listen host (an IP literal)
  unsigned short port = 0;  // --listen port; 0: the first listener picks a free one and the others share it
  int threads = 1;          // at least 1
  bool in_cluster = false;
  std::vector<std::string> advertise;  // --advertise values, as given
  // This host's LAN addresses, preferred first (cluster::advertised_addresses()). Read only in a cluster
  // without --advertise; the caller may leave it empty otherwise.
  std::vector<Ipv4> found;
};

// One listener per thread on `host`, listener k on thread k.
struct Listener {
  std::string host;
  bool reuse_port = false;  // SO_REUSEPORT
  // For cluster peers, beside the API: one that cannot be opened is skipped (all its threads' listeners or
  // none) with a warning, where the API's listener failing stops the node.
  bool for_peers = false;
};

struct ListenPlan {
  std::vector<Listener> listeners;  // the API's first, then the ones for peers
  // Non-empty when the listeners use SO_REUSEPORT on a fixed port: bind a plain socket here first, so that a
  // port another process already serves fails as it would without SO_REUSEPORT instead of being shared.
  std::string probe_host;
  std::vector<Ipv4> lan;          // the addresses announced to peers (mDNS); empty outside a cluster
  bool follow_addresses = false;  // keep announcing the host's current LAN addresses as they change
  std::string reach_address;      // where peers reach this node (with the port the API listener got)
};

// --advertise values as IPv4 addresses, in order. The first one that is not fails with
// "--advertise VALUE: not an IPv4 address (IPv6 is not supported yet)".
Result<std::vector<Ipv4>> parse_advertise(const std::vector<std::string>& values);

// The listeners to open, by the rules above. Fails only on a bad --advertise value of a node in a cluster.
Result<ListenPlan> plan_listeners(const ListenInputs& inputs);

}  // namespace quorum::node
