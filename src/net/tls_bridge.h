// For net's TLS files only (peer_tls.cpp, server_certificate.cpp, client_tls.cpp): one TLS session over a
// TCP connection, bridged to a local socket pair whose other end the HTTP client, the HTTP server or the
// WebSocket uses as if it were the TCP connection. Each kind of TLS configures an OpenSSL SSL (its context,
// the name to check, the server name to send) and hands it here; tls_bridge.cpp is the only translation unit
// with Asio's ssl::stream.
//
// Contract:
//  - bridge_tls runs the handshake within `timeout` and returns the plaintext end, or fails: 504 "timed out",
//    502 with the reason (for a client whose check of the server's certificate failed, the check's reason,
//    e.g. "certificate verify failed: self-signed certificate in certificate chain").
//  - While bridged: bytes that fail authentication end the session at once (both sockets close), so the
//    plaintext side sees the connection end, never altered bytes. The end of the plaintext socket (its owner
//    closes or shuts it down) ends the TCP connection after what was written is sent; the TCP connection's
//    end shuts the plaintext socket down for sending.
//  - The plaintext end is an AF_UNIX socket carried in a tcp::socket (Asio does not check the family): TCP
//    options on it fail (callers ignore those errors) and it has no remote endpoint; reading, writing,
//    waiting, shutdown and close behave as on TCP.
//  - `keep` is held as long as the session lives (what the SSL's callbacks read, e.g. its PeerTls).
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>

#include "core/result.h"
#include "net/http_types.h"

namespace quorum::net {

struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslHandle = std::unique_ptr<SSL, SslFree>;
struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxHandle = std::unique_ptr<SSL_CTX, SslCtxFree>;

enum class TlsRole { kClient, kServer };

Task<Result<asio::ip::tcp::socket>> bridge_tls(SslHandle ssl, TlsRole role, asio::ip::tcp::socket tcp,
                                               std::chrono::milliseconds timeout,
                                               std::shared_ptr<const void> keep);

}  // namespace quorum::net
