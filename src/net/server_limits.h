// Every bound the HTTP server puts on what it takes in, with its default, in this one place: per request
// (ServerLimits), per node before callers are known (IntakeLimits), and the fixed times of the connection's
// end. docs/design.md ("Bounds of the HTTP server") lists them with what a client sees; `quorum node` flags
// change the timeouts and the body limit.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace quorum::net {

struct ServerLimits {
  size_t max_body_bytes = size_t{8} << 20;     // larger bodies get 413, before they are read when declared
  size_t max_header_bytes = size_t{64} << 10;  // a larger request line and headers get 431
  // A request head not complete this long after the connection opened, or on a kept-alive connection after
  // its first byte, gets 408 (a new connection that sent nothing at all is closed without an answer).
  std::chrono::seconds header_timeout{30};
  std::chrono::seconds body_timeout{120};   // a body not complete this long after its head gets 408
  std::chrono::seconds idle_keepalive{75};  // an idle kept-alive connection is closed (without an answer)
};

// What a node takes in before it knows who is calling, shared by all of its listeners and threads (Intake).
struct IntakeLimits {
  size_t network_connections = 512;     // open connections from other machines, in total
  size_t connections_per_source = 64;   // from one address (an IPv6 /64 counts as one address)
  size_t loopback_connections = 16384;  // from this machine: a budget of their own, never taken by the above
  // Bytes of request bodies being read before their sender is verified (a peer proof covers its body, so
  // it is checked once the body is in): the total over all such requests at once. Beyond it, 503.
  size_t unverified_body_bytes = size_t{32} << 20;
};

// Descriptors kept for everything but served connections: engines' listening sockets, model files, logs, the
// cluster's sockets.
inline constexpr uint64_t kReservedDescriptors = 256;

// `limits` scaled down, when needed, so that the connections it allows fit in `descriptors` (the process's
// RLIMIT_NOFILE): each served connection may hold a second descriptor to an engine or a peer, and
// kReservedDescriptors stay free. The network then gets a quarter of what is available and loopback the rest,
// at least one connection each. Unchanged when they already fit.
IntakeLimits fit_to_descriptors(IntakeLimits limits, uint64_t descriptors);

// A response that a client may not read for this long is given up (the connection closes).
inline constexpr auto kWriteTimeout = std::chrono::seconds(60);
// After an error answered before the request was read to its end, the connection stays open this long at
// most, reading and dropping what the client still sends, so that the client reads the answer instead of a
// reset ("lingering close").
inline constexpr auto kLingerTime = std::chrono::seconds(5);

}  // namespace quorum::net
