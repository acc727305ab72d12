// The client side of TLS to a server that proves itself with a certificate (https:// in the HTTP client,
// wss:// in the WebSocket client): the chain is checked against the system's trust store, or against the
// certificates in `ca_file` instead when one is given, and the certificate must name `host` (a DNS name, or
// an IP address literal, which must be among its IP addresses). The session is bridged to a local socket as
// tls_bridge.h says, so the HTTP and WebSocket code above it are those of plain connections.
//
// Contract: tls_connect_verified returns the plaintext end once the handshake (TLS 1.2 or 1.3) is complete,
// within `timeout`; nothing is sent before. Errors, naming `url`: 502 when the server cannot be trusted (the
// reason, e.g. "certificate verify failed: self-signed certificate in certificate chain", or "hostname
// mismatch") or does not speak TLS, 504 when the handshake does not complete in time, 500 when `ca_file`
// cannot be read.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string>

#include "core/result.h"
#include "net/http_types.h"

namespace quorum::net {

Task<Result<asio::ip::tcp::socket>> tls_connect_verified(asio::ip::tcp::socket tcp, std::string host,
                                                         std::string ca_file,
                                                         std::chrono::milliseconds timeout, std::string url);

}  // namespace quorum::net
