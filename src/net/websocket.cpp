// Beast's websocket lives here only (with TLS for wss://): keep it that way, it is slow to compile.
#include "net/websocket.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/url/parse.hpp>
#include <variant>

#include "net/websocket_upgrade.h"

namespace quorum::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

struct WebSocket::Impl {
  using Plain = websocket::stream<beast::tcp_stream>;
  using Secure = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

  std::unique_ptr<Plain> plain;
  std::unique_ptr<Secure> secure;
  std::shared_ptr<ssl::context> tls_context;  // outlives `secure`
  std::string remote;
  beast::flat_buffer buffer;
  bool open = false;

  beast::tcp_stream& lowest() { return plain ? plain->next_layer() : beast::get_lowest_layer(*secure); }
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

  if (secure) {
    impl->tls_context = std::make_shared<ssl::context>(ssl::context::tls_client);
    auto& ctx = *impl->tls_context;
    ctx.set_verify_mode(ssl::verify_peer);
    if (options.ca_file.empty()) {
      ctx.set_default_verify_paths(ec);
    } else {
      ctx.load_verify_file(options.ca_file, ec);
    }
    if (ec) co_return link_error(url, "no trusted certificates: " + ec.message());
    impl->secure = std::make_unique<Impl::Secure>(executor, ctx);
    SSL* ssl_handle = impl->secure->next_layer().native_handle();
    SSL_set_tlsext_host_name(ssl_handle, host.c_str());
    SSL_set1_host(ssl_handle, host.c_str());
  } else {
    impl->plain = std::make_unique<Impl::Plain>(executor);
  }
  auto& lowest = impl->lowest();
  lowest.expires_after(options.handshake_timeout);
  auto endpoint = co_await lowest.async_connect(resolved, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return link_error(url, ec.message());
  // Frames are small (one SSE event each): without TCP_NODELAY, Nagle holds the next one back until the
  // relay acknowledges the last, and its delayed ACK adds up to 40 ms to a token.
  boost::system::error_code nodelay_ec;  // a socket without it still works, only slower
  lowest.socket().set_option(tcp::no_delay(true), nodelay_ec);
  impl->remote = endpoint.address().to_string();
  if (secure) {
    co_await impl->secure->next_layer().async_handshake(ssl::stream_base::client,
                                                        asio::redirect_error(use_awaitable, ec));
    if (ec) co_return link_error(url, "TLS: " + ec.message());
  }
  lowest.expires_never();

  auto decorate = [headers, subprotocol](websocket::request_type& req) {
    req.set(http::field::user_agent, "quorum/" QUORUM_VERSION);
    req.set(http::field::sec_websocket_protocol, subprotocol);
    for (const auto& [name, value] : headers.items()) req.set(name, value);
  };
  websocket::response_type response;
  if (impl->plain) {
    configure(*impl->plain, options);
    impl->plain->set_option(websocket::stream_base::decorator(decorate));
    co_await impl->plain->async_handshake(response, host_header, target,
                                          asio::redirect_error(use_awaitable, ec));
  } else {
    configure(*impl->secure, options);
    impl->secure->set_option(websocket::stream_base::decorator(decorate));
    co_await impl->secure->async_handshake(response, host_header, target,
                                           asio::redirect_error(use_awaitable, ec));
  }
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
  // (No co_await inside ?: — g++ 12 destroys the result twice.)
  std::optional<Result<std::string>> result;
  if (impl_->plain) {
    result.emplace(co_await read_message(*impl_->plain, impl_->buffer));
  } else {
    result.emplace(co_await read_message(*impl_->secure, impl_->buffer));
  }
  if (!*result) impl_->open = false;
  co_return std::move(*result);
}

Task<bool> WebSocket::write(std::string_view message) {
  if (!impl_->open) co_return false;
  bool ok = false;
  if (impl_->plain) {
    ok = co_await write_message(*impl_->plain, message);
  } else {
    ok = co_await write_message(*impl_->secure, message);
  }
  if (!ok) impl_->open = false;
  co_return ok;
}

Task<void> WebSocket::close(const std::string& reason) {
  if (!impl_->open) co_return;
  impl_->open = false;
  if (impl_->plain) {
    co_await close_stream(*impl_->plain, reason);
  } else {
    co_await close_stream(*impl_->secure, reason);
  }
  abort();
}

void WebSocket::abort() {
  impl_->open = false;
  beast::error_code ec;
  impl_->lowest().socket().close(ec);
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
    res.set(http::field::server, "quorum-relay/" QUORUM_VERSION);
    res.set(http::field::sec_websocket_protocol, subprotocol);
  }));
  co_await ws.async_accept(request, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return std::nullopt;
  impl->open = true;
  co_return WebSocket(std::move(impl));
}

}  // namespace quorum::net
