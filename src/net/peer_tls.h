// TLS 1.3 between the nodes of a cluster, with an external pre-shared key (cluster/peer_tls_key.h) and no
// certificates: both ends prove they hold the cluster's key, every byte is encrypted and authenticated, and
// the key exchange is psk_dhe_ke (an ephemeral (EC)DHE share on top of the PSK), so a later leak of the
// cluster secret does not decrypt recorded sessions. No session tickets are issued or resumed.
//
// The TLS session runs over a TCP connection (later, over the relay's tunnel: any byte stream), and its
// plaintext is handed to the HTTP client and server as the other end of a local socket pair (tls_bridge.h),
// so the HTTP code reads and writes a socket as it does for a plain connection.
//
// Contract:
//  - tls_connect / tls_accept run the handshake within `timeout` and return the plaintext end, or fail (an
//    unreachable or timed-out peer, a peer with another key, anything that is not this TLS). Nothing of the
//    request is sent before the handshake is complete.
//  - While bridged: as tls_bridge.h says (bytes that fail authentication end the session at once, so the
//    HTTP layer sees the connection end mid-message, never altered bytes).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "net/http_types.h"

namespace quorum::net {

// The TLS contexts (client and server) for one cluster key. Immutable; share it between threads.
class PeerTls;

// `identity`: the PSK identity, sent in the clear; `key`: the raw key (32 bytes).
std::shared_ptr<const PeerTls> make_peer_tls(std::string identity, std::string key);

// True when `first` can begin a TLS connection (a handshake record), which no HTTP request line can.
constexpr bool begins_tls(unsigned char first) {
  return first == 0x16;
}

// The client side, over a connected TCP socket. Errors: 502 naming `url` (a peer that refuses the key, or
// speaks something else), 504 when the handshake does not complete within `timeout`.
Task<Result<asio::ip::tcp::socket>> tls_connect(std::shared_ptr<const PeerTls> tls, asio::ip::tcp::socket tcp,
                                                std::chrono::milliseconds timeout, std::string url);

// The server side, over an accepted TCP socket. nullopt when the handshake fails or times out (the
// connection is closed; there is no one to answer).
Task<std::optional<asio::ip::tcp::socket>> tls_accept(std::shared_ptr<const PeerTls> tls,
                                                      asio::ip::tcp::socket tcp,
                                                      std::chrono::milliseconds timeout);

}  // namespace quorum::net
