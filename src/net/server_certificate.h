// A certificate for a public TLS endpoint (the relay's HTTPS and WSS: `quorum-relay serve --tls-cert FILE
// --tls-key FILE`): a PEM chain (the certificate first, then its intermediates) and its PEM private key, read
// from files, and read again by reload() (the relay does on SIGHUP), so that a renewed certificate is served
// without a restart and without dropping a connection.
//
// Contract:
//  - load() reads both files. It fails, naming the file and OpenSSL's reason, when either cannot be read or
//    parsed (a key protected by a passphrase is refused, never prompted for), or when the key is not the
//    certificate's.
//  - reload() reads the same paths again. On success, connections accepted from then on get the new pair;
//    sessions under way keep the one they began with. On failure the pair in use stays, and the error says
//    why.
//  - accept() runs the server side of a handshake (TLS 1.2 or 1.3) on an accepted connection within
//    `timeout` and returns the plaintext end (tls_bridge.h); nullopt when it fails (not TLS, a client that
//    refuses the certificate, no common suite, timed out): the connection is closed unanswered.
//  - describe() names the pair in use for logs: subject, serial number (hex), expiry, SHA-256 fingerprint.
// Thread-safe.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/result.h"
#include "net/http_types.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace quorum::net {

class ServerCertificate {
 public:
  static Result<std::shared_ptr<ServerCertificate>> load(std::string cert_file, std::string key_file);

  Status reload();
  std::string describe() const;
  Task<std::optional<asio::ip::tcp::socket>> accept(asio::ip::tcp::socket tcp,
                                                    std::chrono::milliseconds timeout) const;

  // (Public for make_shared; use load().)
  struct Pair {
    std::shared_ptr<ssl_ctx_st> context;
    std::string description;
  };
  ServerCertificate(std::string cert_file, std::string key_file, Pair pair);

 private:
  const std::string cert_file_;
  const std::string key_file_;
  mutable std::mutex mutex_;
  Pair current_;
};

}  // namespace quorum::net
