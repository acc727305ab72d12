// TLS between peers: the contexts with the cluster's key; the session itself is tls_bridge.cpp's.
#include "net/peer_tls.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "net/tls_bridge.h"

namespace quorum::net {

using tcp = asio::ip::tcp;

class PeerTls {
 public:
  PeerTls(std::string identity, std::string key)
      : identity_(std::move(identity)),
        key_(std::move(key)),
        client_(SSL_CTX_new(TLS_client_method())),
        server_(SSL_CTX_new(TLS_server_method())) {
    if (!client_ || !server_) throw std::bad_alloc();
    for (SSL_CTX* ctx : {client_.get(), server_.get()}) {
      SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
      // Suites with SHA-256, the hash the PSK is bound to.
      SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256");
      SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
      SSL_CTX_set_ex_data(ctx, ex_index(), this);
    }
    SSL_CTX_set_num_tickets(server_.get(), 0);
    SSL_CTX_set_psk_use_session_callback(client_.get(), &PeerTls::use_session);
    SSL_CTX_set_psk_find_session_callback(server_.get(), &PeerTls::find_session);
  }

  // A new session of either side (nullptr when OpenSSL has no memory).
  SslHandle new_client() const { return SslHandle(SSL_new(client_.get())); }
  SslHandle new_server() const { return SslHandle(SSL_new(server_.get())); }

 private:
  // Where a context keeps its PeerTls: an index of our own.
  static int ex_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
  }
  static const PeerTls& of(SSL* ssl) {
    return *static_cast<const PeerTls*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index()));
  }

  // A session that carries the key, for TLS 1.3 with TLS_AES_128_GCM_SHA256 (its hash is what matters).
  SSL_SESSION* session(SSL* ssl) const {
    static constexpr unsigned char kAes128GcmSha256[] = {0x13, 0x01};
    const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, kAes128GcmSha256);
    SSL_SESSION* s = SSL_SESSION_new();
    if (!cipher || !s ||
        SSL_SESSION_set1_master_key(s, reinterpret_cast<const unsigned char*>(key_.data()), key_.size()) !=
            1 ||
        SSL_SESSION_set_cipher(s, cipher) != 1 || SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION) != 1) {
      SSL_SESSION_free(s);
      return nullptr;
    }
    return s;
  }

  static int use_session(SSL* ssl, const EVP_MD* md, const unsigned char** id, size_t* id_len,
                         SSL_SESSION** out) {
    const PeerTls& self = of(ssl);
    *out = nullptr;
    *id = nullptr;
    *id_len = 0;
    if (md && EVP_MD_get_type(md) != NID_sha256) return 1;  // a suite of another hash: no PSK for it
    SSL_SESSION* s = self.session(ssl);
    if (!s) return 0;
    *out = s;
    *id = reinterpret_cast<const unsigned char*>(self.identity_.data());
    *id_len = self.identity_.size();
    return 1;
  }

  // An identity other than ours (another cluster) finds no key, and the handshake fails: no certificate is
  // there to fall back on.
  static int find_session(SSL* ssl, const unsigned char* id, size_t id_len, SSL_SESSION** out) {
    const PeerTls& self = of(ssl);
    *out = nullptr;
    if (std::string_view(reinterpret_cast<const char*>(id), id_len) != self.identity_) return 1;
    *out = self.session(ssl);
    return *out ? 1 : 0;
  }

  std::string identity_;
  std::string key_;
  SslCtxHandle client_;
  SslCtxHandle server_;
};

std::shared_ptr<const PeerTls> make_peer_tls(std::string identity, std::string key) {
  return std::make_shared<const PeerTls>(std::move(identity), std::move(key));
}

Task<Result<tcp::socket>> tls_connect(std::shared_ptr<const PeerTls> tls, tcp::socket socket,
                                      std::chrono::milliseconds timeout, std::string url) {
  auto session = tls->new_client();
  if (!session) co_return ApiError::server(502, "No TLS session with " + url + " (out of memory).");
  auto done = co_await bridge_tls(std::move(session), TlsRole::kClient, std::move(socket), timeout, tls);
  if (done) co_return done;
  if (done.error().status == 504)
    co_return ApiError::server(504, "Timed out in the TLS handshake with " + url + ".");
  co_return ApiError::server(
      502, "No TLS session with " + url + " (" + done.error().message + "): is it a node of this cluster?");
}

Task<std::optional<tcp::socket>> tls_accept(std::shared_ptr<const PeerTls> tls, tcp::socket socket,
                                            std::chrono::milliseconds timeout) {
  auto session = tls->new_server();
  if (!session) co_return std::nullopt;
  auto done = co_await bridge_tls(std::move(session), TlsRole::kServer, std::move(socket), timeout, tls);
  if (!done) co_return std::nullopt;
  co_return std::move(done.value());
}

}  // namespace quorum::net
