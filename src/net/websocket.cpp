// Beast's websocket lives here only: keep it that way, it is slow to compile. A wss:// connection is a
// plain WebSocket over the plaintext end of a TLS session (client_tls.h), as the server side is over the
// relay's certificate (http_server.h).
#include "net/websocket.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>

#include "core/version.h"
#include "net/client_tls.h"
#include "net/websocket_upgrade.h"

namespace quorum::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

struct WebSocket::Impl {
  using Plain = websocket::stream<beast::tcp_stream>;

  std::unique_ptr<Plain> plain;  // over TCP, or over a TLS session's plaintext end
  std::string remote;
  beast::flat_buffer buffer;
  bool open = false;
};

namespace {

template <class Stream>
void configure(Stream& ws, const WebSocketOptions& options) {
  websocket::stream_base::timeout timeout;
  timeout.handshake_timeout = options.handshake_timeout;
  timeout.idle_timeout = options.idle_timeout;
  timeout.keep_alive_pings = true;
  ws.set_option(timeout);
  ws.read_message_max(options.max_message_bytes);
  ws.binary(true);
  ws.auto_fragment(false);
}

template <class Stream>
Task<Result<std::string>> read_message(Stream& ws, beast::flat_buffer& buffer) {
  beast::error_code ec;
  buffer.consume(buffer.size());
  co_await ws.async_read(buffer, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return ApiError::server(502, "The relay link closed: " + ec.message() + ".");
  co_return beast::buffers_to_string(buffer.data());
}

template <class Stream>
Task<bool> write_message(Stream& ws, std::string_view message) {
  beast::error_code ec;
  co_await ws.async_write(asio::buffer(message.data(), message.size()),
                          asio::redirect_error(use_awaitable, ec));
  co_return !ec;
}

template <class Stream>
Task<void> close_stream(Stream& ws, const std::string& reason) {
  beast::error_code ec;
  websocket::close_reason why(websocket::close_code::going_away);
  why.reason = reason.substr(0, 120);  // a close frame's payload is at most 125 bytes
  co_await ws.async_close(why, asio::redirect_error(use_awaitable, ec));
}

bool offers(std::string_view list, std::string_view wanted) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == wanted) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

ApiError link_error(const std::string& url, const std::string& what) {
  return ApiError::server(502, "Could not open the relay link to " + url + ": " + what + ".");
}

}  // namespace

WebSocket::WebSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebSocket::WebSocket(WebSocket&&) noexcept = default;
WebSocket& WebSocket::operator=(WebSocket&&) noexcept = default;
WebSocket::~WebSocket() = default;

Task<Result<WebSocket>> WebSocket::connect(asio::any_io_executor executor, const std::string& url,
                                           const Headers& headers, const std::string& subprotocol,
                                           const WebSocketOptions& options) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) co_return link_error(url, "not a URL");
  const std::string scheme = parsed->scheme();
  const bool secure = scheme == "wss" || scheme == "https";
  if (!secure && scheme != "ws" && scheme != "http") co_return link_error(url, "not a ws:// or wss:// URL");
  std::string host = parsed->host();
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  const std::string port = parsed->has_port() ? std::string(parsed->port()) : (secure ? "443" : "80");
  std::string target = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  const std::string host_header = std::string(parsed->encoded_host_and_port());

  auto impl = std::make_unique<Impl>();
  beast::error_code ec;
  tcp::resolver resolver(executor);
  auto resolved = co_await resolver.async_resolve(host, port, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return link_error(url, ec.message());

  // Connecting, TLS and the WebSocket handshake share one deadline.
  const auto deadline = std::chrono::steady_clock::now() + options.handshake_timeout;
  const auto time_left = [deadline] {
    return std::max(std::chrono::milliseconds(1), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      deadline - std::chrono::steady_clock::now()));
  };
  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_after(options.handshake_timeout);
  auto endpoint = co_await tcp_stream.async_connect(resolved, asio::redirect_error(use_awaitable, ec));
  tcp_stream.expires_never();
  if (ec) co_return link_error(url, ec.message());
  // Frames are small (one SSE event each): without TCP_NODELAY, Nagle holds the next one back until the
  // relay acknowledges the last, and its delayed ACK adds up to 40 ms to a token.
  boost::system::error_code nodelay_ec;  // a socket without it still works, only slower
  tcp_stream.socket().set_option(tcp::no_delay(true), nodelay_ec);
  impl->remote = endpoint.address().to_string();
  if (secure) {
    const auto tls_time = time_left();
    auto plain_end =
        co_await tls_connect_verified(tcp_stream.release_socket(), host, options.ca_file, tls_time, url);
    if (!plain_end) co_return link_error(url, "TLS: " + plain_end.error().message);
    impl->plain = std::make_unique<Impl::Plain>(std::move(plain_end.value()));
  } else {
    impl->plain = std::make_unique<Impl::Plain>(std::move(tcp_stream));
  }
  WebSocketOptions handshake_options = options;
  handshake_options.handshake_timeout = time_left();

  auto decorate = [headers, subprotocol](websocket::request_type& req) {
    req.set(http::field::user_agent, std::string("quorum/") + quorum::version());
    req.set(http::field::sec_websocket_protocol, subprotocol);
    for (const auto& [name, value] : headers.items()) req.set(name, value);
  };
  websocket::response_type response;
  configure(*impl->plain, handshake_options);
  impl->plain->set_option(websocket::stream_base::decorator(decorate));
  co_await impl->plain->async_handshake(response, host_header, target,
                                        asio::redirect_error(use_awaitable, ec));
  configure(*impl->plain, options);  // the close handshake gets the whole timeout
  if (ec) {
    if (response.result_int() != 0 && response.result_int() != 101) {
      co_return link_error(url, "the server answered " + std::to_string(response.result_int()));
    }
    co_return link_error(url, ec.message());
  }
  if (response[http::field::sec_websocket_protocol] != subprotocol) {
    co_return link_error(url, "the server does not speak " + subprotocol);
  }
  impl->open = true;
  co_return WebSocket(std::move(impl));
}

Task<Result<std::string>> WebSocket::read() {
  if (!impl_->open) co_return ApiError::server(502, "The relay link is closed.");
  auto result = co_await read_message(*impl_->plain, impl_->buffer);
  if (!result) impl_->open = false;
  co_return result;
}

Task<bool> WebSocket::write(std::string_view message) {
  if (!impl_->open) co_return false;
  const bool ok = co_await write_message(*impl_->plain, message);
  if (!ok) impl_->open = false;
  co_return ok;
}

Task<void> WebSocket::close(const std::string& reason) {
  if (!impl_->open) co_return;
  impl_->open = false;
  co_await close_stream(*impl_->plain, reason);
  abort();
}

void WebSocket::abort() {
  impl_->open = false;
  beast::error_code ec;
  impl_->plain->next_layer().socket().close(ec);
}

bool WebSocket::is_open() const {
  return impl_ && impl_->open;
}

const std::string& WebSocket::remote_address() const {
  return impl_->remote;
}

bool is_websocket_upgrade(const http::request<http::string_body>& request) {
  return websocket::is_upgrade(request);
}

Task<std::optional<WebSocket>> accept_websocket(beast::tcp_stream stream,
                                                http::request<http::string_body> request,
                                                std::string subprotocol, std::string remote_address,
                                                WebSocketOptions options) {
  beast::error_code ec;
  if (!offers(request[http::field::sec_websocket_protocol], subprotocol)) {
    http::response<http::string_body> refusal{http::status::bad_request, request.version()};
    refusal.set(http::field::content_type, "application/json");
    refusal.set(http::field::connection, "close");
    refusal.body() = R"({"error":{"message":"This endpoint speaks the WebSocket subprotocol )" + subprotocol +
                     R"( only.","type":"invalid_request_error","param":null,"code":"bad_subprotocol"}})";
    refusal.prepare_payload();
    stream.expires_after(options.handshake_timeout);
    co_await http::async_write(stream, refusal, asio::redirect_error(use_awaitable, ec));
    co_return std::nullopt;
  }
  auto impl = std::make_unique<WebSocket::Impl>();
  impl->remote = std::move(remote_address);
  impl->plain = std::make_unique<WebSocket::Impl::Plain>(std::move(stream));
  auto& ws = *impl->plain;
  configure(ws, options);
  ws.set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
    res.set(http::field::server, std::string("quorum-relay/") + quorum::version());
    res.set(http::field::sec_websocket_protocol, subprotocol);
  }));
  co_await ws.async_accept(request, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return std::nullopt;
  impl->open = true;
  co_return WebSocket(std::move(impl));
}

}  // namespace quorum::net
