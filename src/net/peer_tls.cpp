// The only translation unit with Asio's ssl::stream (and OpenSSL's TLS): keep it that way, it is slow to
// compile.
#include "net/peer_tls.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>

namespace quorum::net {

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using error_code = boost::system::error_code;

class PeerTls {
 public:
  PeerTls(std::string identity, std::string key)
      : identity_(std::move(identity)),
        key_(std::move(key)),
        client_(ssl::context::tls_client),
        server_(ssl::context::tls_server) {
    for (SSL_CTX* ctx : {client_.native_handle(), server_.native_handle()}) {
      SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
      // Suites with SHA-256, the hash the PSK is bound to.
      SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256");
      SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
      SSL_CTX_set_ex_data(ctx, ex_index(), this);
    }
    SSL_CTX_set_num_tickets(server_.native_handle(), 0);
    SSL_CTX_set_psk_use_session_callback(client_.native_handle(), &PeerTls::use_session);
    SSL_CTX_set_psk_find_session_callback(server_.native_handle(), &PeerTls::find_session);
  }

  ssl::context& client() const { return client_; }
  ssl::context& server() const { return server_; }

 private:
  // Where a context keeps its PeerTls: an index of our own (Asio keeps its callbacks in the app data slot).
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
  mutable ssl::context client_;
  mutable ssl::context server_;
};

std::shared_ptr<const PeerTls> make_peer_tls(std::string identity, std::string key) {
  return std::make_shared<const PeerTls>(std::move(identity), std::move(key));
}

namespace {

using Local = asio::local::stream_protocol::socket;

// One TLS session bridged to a local socket: `down` copies what the peer sends (decrypted) to the local
// socket, `up` the other way. Each holds the bridge; it goes when both have ended.
struct Bridge : std::enable_shared_from_this<Bridge> {
  std::shared_ptr<const PeerTls> keep;  // the contexts the session's callbacks read
  ssl::stream<tcp::socket> tls;
  Local local;

  Bridge(std::shared_ptr<const PeerTls> t, tcp::socket socket, ssl::context& context)
      : keep(std::move(t)), tls(std::move(socket), context), local(tls.get_executor()) {}

  void close_all() {
    error_code ec;
    tls.next_layer().close(ec);
    local.close(ec);
  }

  Task<void> down() {
    auto self = shared_from_this();
    std::array<char, 16384> buffer;
    for (;;) {
      error_code ec;
      size_t n = co_await tls.async_read_some(asio::buffer(buffer), asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
        // The peer is done sending (with or without close_notify: the HTTP framing says whether the message
        // was whole).
        local.shutdown(Local::shutdown_send, ec);
        co_return;
      }
      if (ec) break;  // bytes that fail authentication, or a broken connection: nothing more is trusted
      co_await asio::async_write(local, asio::buffer(buffer.data(), n),
                                 asio::redirect_error(use_awaitable, ec));
      if (ec) break;
    }
    close_all();
  }

  Task<void> up() {
    auto self = shared_from_this();
    std::array<char, 16384> buffer;
    for (;;) {
      error_code ec;
      size_t n =
          co_await local.async_read_some(asio::buffer(buffer), asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::eof) {
        // Done sending: the peer sees the TCP connection end (the HTTP framing tells a whole message from a
        // cut one). The other direction goes on until the peer ends it too.
        tls.next_layer().shutdown(tcp::socket::shutdown_send, ec);
        co_return;
      }
      if (ec) break;
      co_await asio::async_write(tls, asio::buffer(buffer.data(), n),
                                 asio::redirect_error(use_awaitable, ec));
      if (ec) break;
    }
    close_all();
  }

  ~Bridge() { close_all(); }
};

// Runs the handshake of `bridge` within `timeout`; on success, starts the bridge and returns the other end of
// its local socket pair.
Task<Result<tcp::socket>> handshake(std::shared_ptr<Bridge> bridge, ssl::stream_base::handshake_type type,
                                    std::chrono::milliseconds timeout) {
  auto executor = bridge->tls.get_executor();
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer timer(executor, timeout);
  timer.async_wait([weak = std::weak_ptr<Bridge>(bridge), timed_out](const error_code& ec) {
    if (ec) return;
    *timed_out = true;
    if (auto b = weak.lock()) b->close_all();
  });
  error_code ec;
  co_await bridge->tls.async_handshake(type, asio::redirect_error(use_awaitable, ec));
  timer.cancel();
  if (*timed_out) co_return ApiError::server(504, "timed out");
  if (ec) co_return ApiError::server(502, ec.message());
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    co_return ApiError::server(502, "no socket pair: " + std::string(std::strerror(errno)));
  }
  tcp::socket plain(executor);
  plain.assign(tcp::v4(), fds[0], ec);
  if (!ec) bridge->local.assign(asio::local::stream_protocol(), fds[1], ec);
  if (ec) {
    if (!plain.is_open()) ::close(fds[0]);
    if (!bridge->local.is_open()) ::close(fds[1]);
    co_return ApiError::server(502, ec.message());
  }
  asio::co_spawn(executor, bridge->down(), asio::detached);
  asio::co_spawn(executor, bridge->up(), asio::detached);
  co_return std::move(plain);
}

}  // namespace

Task<Result<tcp::socket>> tls_connect(std::shared_ptr<const PeerTls> tls, tcp::socket socket,
                                      std::chrono::milliseconds timeout, std::string url) {
  auto& context = tls->client();
  auto bridge = std::make_shared<Bridge>(std::move(tls), std::move(socket), context);
  auto done = co_await handshake(bridge, ssl::stream_base::client, timeout);
  if (done) co_return done;
  if (done.error().status == 504)
    co_return ApiError::server(504, "Timed out in the TLS handshake with " + url + ".");
  co_return ApiError::server(
      502, "No TLS session with " + url + " (" + done.error().message + "): is it a node of this cluster?");
}

Task<std::optional<tcp::socket>> tls_accept(std::shared_ptr<const PeerTls> tls, tcp::socket socket,
                                            std::chrono::milliseconds timeout) {
  auto& context = tls->server();
  auto bridge = std::make_shared<Bridge>(std::move(tls), std::move(socket), context);
  auto done = co_await handshake(bridge, ssl::stream_base::server, timeout);
  if (!done) co_return std::nullopt;
  co_return std::move(done.value());
}

}  // namespace quorum::net
