// Beast lives here and in http_client.cpp only.
#include "net/http_server.h"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <list>
#include <span>

namespace quorum::net {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

constexpr auto kWriteTimeout = std::chrono::seconds(60);  // a client that reads nothing for this long is gone

std::string plain_error_json(std::string_view message, std::string_view type, std::string_view code) {
  std::string s = "{\"error\":{\"message\":\"";
  s += message;
  s += "\",\"type\":\"";
  s += type;
  s += "\",\"param\":null,\"code\":";
  s += code.empty() ? std::string("null") : "\"" + std::string(code) + "\"";
  s += "}}";
  return s;
}

struct Connection;

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  asio::any_io_executor executor;
  tcp::acceptor acceptor;
  Handler handler;
  ServerLimits limits;
  bool stopping = false;
  bool abort_all = false;
  std::list<std::weak_ptr<Connection>> connections;
  std::atomic<size_t> active{0};     // connections being served (read from other threads)
  std::function<void()> on_drained;  // posted once stopping and `active` is 0

  Impl(const asio::any_io_executor& ex, Handler h, ServerLimits l)
      : executor(ex), acceptor(ex), handler(std::move(h)), limits(l) {}

  Task<void> accept_loop();
  Task<void> serve(std::shared_ptr<Connection> connection);
  // After stop(): tells whoever waits for the drain, once the last connection is gone.
  void notify_if_drained() {
    if (stopping && active == 0 && on_drained) asio::post(executor, std::exchange(on_drained, nullptr));
  }
};

namespace {

struct Connection {
  beast::tcp_stream stream;
  bool busy = false;  // a handler is running
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
};

bool is_loopback(const asio::ip::address& a) {
  if (a.is_loopback()) return true;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return false;
}

class Writer final : public ResponseWriter {
 public:
  Writer(beast::tcp_stream& stream, unsigned version, bool keep_alive)
      : stream_(stream), version_(version), keep_alive_(keep_alive) {}

  Task<bool> send(int status, const Headers& headers, std::string body) override {
    if (gone_ || started_) co_return false;
    started_ = true;
    http::response<http::string_body> res{static_cast<http::status>(status), version_};
    for (const auto& [k, v] : headers.items()) res.set(k, v);
    res.keep_alive(keep_alive_);
    res.body() = std::move(body);
    res.prepare_payload();
    beast::error_code ec;
    stream_.expires_after(kWriteTimeout);
    co_await http::async_write(stream_, res, asio::redirect_error(use_awaitable, ec));
    stream_.expires_never();
    if (ec) gone_ = true;
    complete_ = !ec;
    co_return !ec;
  }

  // The head is kept until the first write, so that it and the first chunk leave in one segment: one
  // system call and one wake-up of the client fewer before the first token.
  Task<bool> begin_stream(int status, const Headers& headers) override {
    if (gone_ || started_) co_return false;
    started_ = true;
    streaming_ = true;
    http::response<http::empty_body> res{static_cast<http::status>(status), version_};
    for (const auto& [k, v] : headers.items()) res.set(k, v);
    res.keep_alive(keep_alive_);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    sr.split(true);
    beast::error_code ec;
    while (!sr.is_header_done() && !ec) {
      sr.next(ec, [&](beast::error_code&, const auto& buffers) {
        size_t n = 0;
        for (auto b : beast::buffers_range_ref(buffers)) {
          head_.append(static_cast<const char*>(b.data()), b.size());
          n += b.size();
        }
        sr.consume(n);
      });
    }
    co_return true;
  }

  Task<bool> write(std::string_view data) override {
    if (gone_ || !streaming_) co_return false;
    if (data.empty() && head_.empty()) co_return true;
    co_return co_await send_chunks(data, false);
  }

  Task<bool> end_stream(std::string_view last_data) override {
    if (gone_ || !streaming_) co_return false;
    bool ok = co_await send_chunks(last_data, true);
    complete_ = ok;
    co_return ok;
  }

  Task<void> wait_client_gone() override {
    auto& socket = stream_.socket();
    for (;;) {
      if (gone_) co_return;
      beast::error_code ec;
      co_await socket.async_wait(tcp::socket::wait_read, asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted) {
        // Cancelled by the caller, or the socket was closed under us.
        if (!socket.is_open()) gone_ = true;
        co_return;
      }
      beast::error_code aec;
      size_t available = socket.available(aec);
      if (ec || aec || available == 0) {
        gone_ = true;
        co_return;
      }
      // Pipelined bytes from a live client: nothing to tell; wait until cancelled.
      asio::steady_timer forever(socket.get_executor(), asio::steady_timer::time_point::max());
      beast::error_code tec;
      co_await forever.async_wait(asio::redirect_error(use_awaitable, tec));
      co_return;
    }
  }

  bool client_gone() const override { return gone_; }

 private:
  // Writes the pending head (if any), `data` as one chunk (if any) and the last chunk (if `last`), in one
  // gathered write.
  Task<bool> send_chunks(std::string_view data, bool last) {
    static constexpr std::string_view kCrlf = "\r\n";
    static constexpr std::string_view kLastChunk = "0\r\n\r\n";
    char size_line[24];
    int size_len = 0;
    std::array<asio::const_buffer, 5> buffers;
    size_t count = 0;
    if (!head_.empty()) buffers[count++] = asio::buffer(head_);
    if (!data.empty()) {
      size_len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", data.size());
      buffers[count++] = asio::buffer(size_line, static_cast<size_t>(size_len));
      buffers[count++] = asio::buffer(data.data(), data.size());
      buffers[count++] = asio::buffer(kCrlf.data(), kCrlf.size());
    }
    if (last) buffers[count++] = asio::buffer(kLastChunk.data(), kLastChunk.size());
    beast::error_code ec;
    stream_.expires_after(kWriteTimeout);
    co_await asio::async_write(stream_, std::span(buffers.data(), count),
                               asio::redirect_error(use_awaitable, ec));
    stream_.expires_never();
    head_.clear();
    head_.shrink_to_fit();
    if (ec) gone_ = true;
    co_return !ec;
  }

 public:
  bool started() const { return started_; }
  bool complete() const { return complete_; }

 private:
  beast::tcp_stream& stream_;
  unsigned version_;
  bool keep_alive_;
  bool started_ = false;
  bool streaming_ = false;
  bool complete_ = false;
  bool gone_ = false;
  std::string head_;  // a streaming head not yet written
};

}  // namespace

Task<void> HttpServer::Impl::accept_loop() {
  auto self = shared_from_this();
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
    if (stopping) co_return;  // accepted as stop() ran: the socket closes here, unserved
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // EMFILE and friends: back off briefly rather than spin.
      asio::steady_timer t(executor, std::chrono::milliseconds(50));
      co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(std::move(socket));
    connections.remove_if([](const auto& w) { return w.expired(); });
    connections.push_back(connection);
    ++active;  // counted from here, so that a drain does not end before serve() begins
    asio::co_spawn(executor, serve(connection), asio::detached);
  }
}

Task<void> HttpServer::Impl::serve(std::shared_ptr<Connection> connection) {
  auto self = shared_from_this();
  auto& stream = connection->stream;
  beast::flat_buffer buffer;
  beast::error_code ec;
  std::string remote;
  bool loopback = false;
  {
    auto ep = stream.socket().remote_endpoint(ec);
    if (!ec) {
      remote = ep.address().to_string();
      loopback = is_loopback(ep.address());
    }
  }
  bool first = true;
  while (!stopping) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    stream.expires_after(
        std::chrono::seconds(first ? limits.header_timeout_seconds : limits.idle_keepalive_seconds));
    first = false;
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    // A Content-Length over the limit fails here already (body_limit); anything else is a closed, timed out
    // or garbled connection with nothing useful to answer.
    bool too_large = ec == http::error::body_limit;
    if (ec && !too_large) break;
    auto& head = parser.get();
    // Answers and closes without reading the rest of the request. The client may still be sending its body:
    // closing at once would reset the connection and the client would never see the answer, so the rest is
    // read and dropped first (a bounded "lingering close", as nginx does).
    auto send_plain = [&](http::status status, std::string body) -> Task<void> {
      http::response<http::string_body> res{status, head.version()};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(false);
      res.body() = std::move(body);
      res.prepare_payload();
      stream.expires_after(kWriteTimeout);
      beast::error_code wec;
      co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, wec));
      if (wec) co_return;
      stream.socket().shutdown(tcp::socket::shutdown_send, wec);
      stream.expires_after(std::chrono::seconds(5));
      std::array<char, 16384> sink;
      size_t drained = 0;
      while (!wec && drained < limits.max_body_bytes * 4) {
        drained +=
            co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, wec));
      }
    };
    if (too_large || (parser.content_length() && *parser.content_length() > limits.max_body_bytes)) {
      co_await send_plain(http::status::payload_too_large,
                          plain_error_json("The request body is larger than the node accepts (" +
                                               std::to_string(limits.max_body_bytes) + " bytes).",
                                           "invalid_request_error", "request_too_large"));
      break;
    }
    if (beast::iequals(head[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, head.version()};
      co_await http::async_write(stream, cont, asio::redirect_error(use_awaitable, ec));
      if (ec) break;
    }
    stream.expires_after(std::chrono::seconds(limits.body_timeout_seconds));
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec == http::error::body_limit) {
      co_await send_plain(http::status::payload_too_large,
                          plain_error_json("The request body is larger than the node accepts (" +
                                               std::to_string(limits.max_body_bytes) + " bytes).",
                                           "invalid_request_error", "request_too_large"));
      break;
    }
    if (ec) break;
    stream.expires_never();

    // Only `req` stays for the (possibly long) response: the parsed message and the read buffer's room go
    // now.
    HttpRequest req;
    unsigned version = 11;
    bool keep_alive = false;
    {
      auto msg = parser.release();
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      for (const auto& f : msg) req.headers.add(std::string(f.name_string()), std::string(f.value()));
      req.body = std::move(msg.body());
      version = msg.version();
      keep_alive = msg.keep_alive() && !stopping;
    }
    req.remote_address = remote;
    req.arrival = loopback ? Arrival::kLoopback : Arrival::kNetwork;
    if (buffer.size() == 0) buffer.shrink_to_fit();

    Writer writer(stream, version, keep_alive);
    connection->busy = true;
    bool failed = false;
    try {
      co_await handler(req, writer);
    } catch (const std::exception&) {
      failed = true;  // a handler bug must not take the node down; answer if nothing was sent yet
    }
    if (failed && !writer.started()) {
      Headers h;
      h.add("Content-Type", "application/json");
      co_await writer.send(
          500, h, plain_error_json("Internal error while handling the request.", "server_error", ""));
    }
    connection->busy = false;
    if (!writer.complete() || !keep_alive || writer.client_gone()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.close();
  --active;
  notify_if_drained();
}

HttpServer::HttpServer(const asio::any_io_executor& executor, const std::string& host, unsigned short port,
                       Handler handler, ServerLimits limits, bool reuse_port)
    : impl_(std::make_shared<Impl>(executor, std::move(handler), limits)) {
  tcp::endpoint endpoint(asio::ip::make_address(host), port);
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  if (reuse_port) {
    int one = 1;
    ::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  }
  a.bind(endpoint);
  a.listen(asio::socket_base::max_listen_connections);
}

HttpServer::~HttpServer() {
  stop(true);
}

unsigned short HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::start() {
  asio::co_spawn(impl_->executor, impl_->accept_loop(), asio::detached);
}

void HttpServer::stop(bool abort, std::function<void()> on_drained) {
  impl_->stopping = true;
  if (on_drained && impl_->on_drained) {
    on_drained = [first = std::move(impl_->on_drained), then = std::move(on_drained)] {
      first();
      then();
    };
  }
  if (on_drained) impl_->on_drained = std::move(on_drained);
  beast::error_code ec;
  impl_->acceptor.close(ec);
  for (auto& w : impl_->connections) {
    if (auto c = w.lock(); c && (abort || !c->busy)) c->stream.socket().close(ec);
  }
  impl_->notify_if_drained();
}

size_t HttpServer::open_connections() const {
  return impl_->active.load();
}

}  // namespace quorum::net
