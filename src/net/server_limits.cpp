#include "net/server_limits.h"

#include <algorithm>

namespace quorum::net {

IntakeLimits fit_to_descriptors(IntakeLimits limits, uint64_t descriptors) {
  // Each connection may pair with one to an engine or a peer: two descriptors.
  const uint64_t available =
      descriptors > kReservedDescriptors ? (descriptors - kReservedDescriptors) / 2 : 0;
  if (limits.network_connections + limits.loopback_connections <= available) return limits;
  const size_t network = std::max<size_t>(1, std::min<uint64_t>(limits.network_connections, available / 4));
  const size_t loopback = std::max<size_t>(
      1, std::min<uint64_t>(limits.loopback_connections, available > network ? available - network : 0));
  limits.network_connections = network;
  limits.loopback_connections = loopback;
  limits.connections_per_source = std::min(limits.connections_per_source, network);
  return limits;
}

}  // namespace quorum::net
