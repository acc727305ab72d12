// The only translation unit with Asio's ssl::stream: keep it that way, it is slow to compile.
#include "net/tls_bridge.h"

#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>

namespace quorum::net {

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using error_code = boost::system::error_code;

namespace {

using Local = asio::local::stream_protocol::socket;

// One TLS session bridged to a local socket: `down` copies what the peer sends (decrypted) to the local
// socket, `up` the other way. Each holds the bridge; it goes when both have ended.
struct Bridge : std::enable_shared_from_this<Bridge> {
  std::shared_ptr<const void> keep;
  ssl::stream<tcp::socket> tls;
  Local local;

  Bridge(SslHandle ssl, tcp::socket socket, std::shared_ptr<const void> k)
      : keep(std::move(k)), tls(std::move(socket), ssl.release()), local(tls.get_executor()) {}

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

// Why a handshake failed, in words: the certificate check's reason when that is what failed.
std::string handshake_failure(SSL* ssl, const error_code& ec) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK)
    return "certificate verify failed: " + std::string(X509_verify_cert_error_string(verify));
  return ec.message();
}

}  // namespace

Task<Result<tcp::socket>> bridge_tls(SslHandle ssl, TlsRole role, tcp::socket socket,
                                     std::chrono::milliseconds timeout, std::shared_ptr<const void> keep) {
  auto bridge = std::make_shared<Bridge>(std::move(ssl), std::move(socket), std::move(keep));
  auto executor = bridge->tls.get_executor();
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer timer(executor, timeout);
  timer.async_wait([weak = std::weak_ptr<Bridge>(bridge), timed_out](const error_code& ec) {
    if (ec) return;
    *timed_out = true;
    if (auto b = weak.lock()) b->close_all();
  });
  error_code ec;
  const auto type = role == TlsRole::kClient ? ssl::stream_base::client : ssl::stream_base::server;
  co_await bridge->tls.async_handshake(type, asio::redirect_error(use_awaitable, ec));
  timer.cancel();
  if (*timed_out) co_return ApiError::server(504, "timed out");
  if (ec) co_return ApiError::server(502, handshake_failure(bridge->tls.native_handle(), ec));
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

}  // namespace quorum::net
