// Beast lives here and in http_server.cpp only.
#include "net/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

namespace quorum::net {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

ApiError unreachable(const std::string& url, const beast::error_code& ec) {
  return ApiError::server(502, "Could not reach " + url + ": " + ec.message() + ".");
}

ApiError cancelled_error() { return ApiError{499, "server_error", "The request was cancelled.", {}, {}}; }

class Response final : public ClientResponse {
 public:
  Response(tcp::socket socket, std::string url, ClientOptions options)
      : stream_(std::move(socket)), url_(std::move(url)), options_(std::move(options)) {}

  ~Response() override {
    if (options_.canceller) options_.canceller->on_cancel(nullptr);
    beast::error_code ec;
    stream_.socket().close(ec);
  }

  // Registers the socket with the canceller (if any) so that cancel() closes it.
  void arm_cancel() {
    if (!options_.canceller) return;
    options_.canceller->on_cancel([this] { cancel(); });
  }

  bool cancelled() const { return cancelled_ || (options_.canceller && options_.canceller->cancelled()); }

  Task<Status> send(const std::string& method, const std::string& target, const std::string& host,
                    const Headers& headers, std::string body) {
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host);
    req.set(http::field::user_agent, "quorum/" QUORUM_VERSION);
    for (const auto& [k, v] : headers.items()) req.set(k, v);
    req.body() = std::move(body);
    req.prepare_payload();
    beast::error_code ec;
    stream_.expires_after(options_.head_timeout);
    co_await http::async_write(stream_, req, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return fail(ec);
    parser_.body_limit(boost::none);
    co_await http::async_read_header(stream_, buffer_, parser_, asio::redirect_error(use_awaitable, ec));
    stream_.expires_never();
    if (ec) co_return fail(ec);
    const auto& head = parser_.get();
    status_ = static_cast<int>(head.result_int());
    for (const auto& f : head) headers_.add(std::string(f.name_string()), std::string(f.value()));
    co_return Ok{};
  }

  int status() const override { return status_; }
  const Headers& headers() const override { return headers_; }

  Task<Result<std::string>> read_some() override {
    std::string out;
    while (out.empty()) {
      if (parser_.is_done()) co_return out;
      char buf[16384];
      parser_.get().body().data = buf;
      parser_.get().body().size = sizeof(buf);
      beast::error_code ec;
      stream_.expires_after(options_.read_idle_timeout);
      co_await http::async_read_some(stream_, buffer_, parser_, asio::redirect_error(use_awaitable, ec));
      stream_.expires_never();
      if (ec == http::error::need_buffer) ec = {};
      size_t n = sizeof(buf) - parser_.get().body().size;
      out.append(buf, n);
      if (ec) {
        if (!out.empty()) {
          pending_error_ = ec;  // deliver what arrived first
          co_return out;
        }
        co_return fail(ec);
      }
    }
    co_return out;
  }

  Task<Result<std::string>> read_all(size_t limit) override {
    std::string all;
    for (;;) {
      if (pending_error_) co_return fail(pending_error_);
      auto piece = co_await read_some();
      if (!piece) co_return piece.take_error();
      if (piece->empty()) co_return all;
      all += *piece;
      if (all.size() > limit) co_return ApiError::server(502, "The response from " + url_ + " is too large.");
    }
  }

  void cancel() override {
    cancelled_ = true;
    beast::error_code ec;
    stream_.socket().close(ec);
  }

  ApiError fail(const beast::error_code& ec) {
    if (cancelled()) return cancelled_error();
    if (ec == beast::error::timeout) return ApiError::server(504, "Timed out waiting for " + url_ + ".");
    if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
        ec == asio::error::connection_reset) {
      return ApiError::server(502, url_ + " closed the connection before the response was complete.");
    }
    return unreachable(url_, ec);
  }

 private:
  beast::tcp_stream stream_;
  std::string url_;
  ClientOptions options_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
  Headers headers_;
  int status_ = 0;
  bool cancelled_ = false;
  beast::error_code pending_error_;
};

}  // namespace

Task<Result<std::unique_ptr<ClientResponse>>> http_request(std::string method, std::string url, Headers headers,
                                                           std::string body, ClientOptions options) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "http" || parsed->host().empty()) {
    co_return ApiError::server(502, "Unsupported engine URL '" + url + "' (expected http://host:port/...).");
  }
  std::string host = std::string(parsed->encoded_host());
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  std::string port = parsed->has_port() ? std::string(parsed->port()) : "80";
  std::string target = std::string(parsed->encoded_path());
  if (target.empty()) target = "/";
  if (parsed->has_query()) target += "?" + std::string(parsed->encoded_query());
  std::string host_header = std::string(parsed->encoded_host_and_port());

  auto executor = co_await asio::this_coro::executor;
  if (options.canceller && options.canceller->cancelled()) co_return cancelled_error();

  beast::error_code ec;
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(host, port, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return unreachable(url, ec);

  // The socket is shared with the connect timer and the canceller, which may fire after this frame moved on.
  auto socket = std::make_shared<tcp::socket>(executor);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer timer(executor, options.connect_timeout);
  timer.async_wait([socket, timed_out](beast::error_code tec) {
    if (tec) return;
    *timed_out = true;
    beast::error_code cec;
    socket->close(cec);
  });
  if (options.canceller) {
    options.canceller->on_cancel([socket] {
      beast::error_code cec;
      socket->close(cec);
    });
  }
  co_await asio::async_connect(*socket, endpoints, asio::redirect_error(use_awaitable, ec));
  timer.cancel();
  if (options.canceller) options.canceller->on_cancel(nullptr);
  if (options.canceller && options.canceller->cancelled()) co_return cancelled_error();
  if (*timed_out) co_return ApiError::server(504, "Timed out connecting to " + url + ".");
  if (ec) co_return unreachable(url, ec);
  socket->set_option(tcp::no_delay(true), ec);
  auto response = std::make_unique<Response>(std::move(*socket), url, options);
  response->arm_cancel();
  auto sent = co_await response->send(method, target, host_header, headers, std::move(body));
  if (!sent) co_return sent.take_error();
  co_return std::unique_ptr<ClientResponse>(std::move(response));
}

}  // namespace quorum::net
