// Beast lives here and in http_server.cpp only.
#include "net/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>

#include "core/stage_marks.h"
#include "core/version.h"
#include "net/client_tls.h"
#include "net/connection_pool.h"
#include "net/head_fields.h"
#include "net/http_head.h"
#include "net/http_url.h"
#include "net/send_now.h"

namespace quorum::net {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

ApiError unreachable(const std::string& url, const beast::error_code& ec) {
  return ApiError::server(502, "Could not reach " + url + ": " + ec.message() + ".");
}

ApiError cancelled_error() {
  return ApiError{499, "server_error", "The request was cancelled.", {}, {}};
}

// The body's idle timeout, re-armed lazily: one timer per response, set once per timeout period rather than
// once per read (a streamed token is one read). When a wait for bytes has lasted `limit`, it cancels the
// socket's pending read, and `fired` tells the reader why.
struct IdleWatch : std::enable_shared_from_this<IdleWatch> {
  using Clock = std::chrono::steady_clock;
  explicit IdleWatch(const asio::any_io_executor& executor) : timer(executor) {}

  void begin_wait(std::chrono::milliseconds wait_limit) {
    waiting = true;
    limit = wait_limit;
    wait_started = Clock::now();
    auto due = wait_started + limit;
    if (!armed || due < timer.expiry()) schedule(due);
  }
  void end_wait() { waiting = false; }

  // The response is going away: nothing left to cancel.
  void detach() {
    socket = nullptr;
    timer.cancel();
  }

  asio::steady_timer timer;
  tcp::socket* socket = nullptr;
  Clock::time_point wait_started;
  std::chrono::milliseconds limit{0};
  bool waiting = false;
  bool armed = false;
  bool fired = false;

 private:
  void schedule(Clock::time_point due) {
    armed = true;
    timer.expires_at(due);  // a wait pending on the old expiry completes as aborted and does nothing
    timer.async_wait([self = shared_from_this()](const beast::error_code& ec) {
      if (ec) return;
      self->armed = false;
      if (!self->socket || !self->waiting) return;  // not reading now: the next wait arms it again
      auto due_now = self->wait_started + self->limit;
      if (Clock::now() < due_now) {
        self->schedule(due_now);
        return;
      }
      self->fired = true;
      beast::error_code cec;
      self->socket->cancel(cec);
    });
  }
};

// Scratch space for the reads that take, without waiting, what a burst left beyond the first 1 KB: bytes are
// parsed straight out of it. One per thread (a coroutine does not move between threads, and nothing suspends
// while the scratch is in use).
std::array<char, 16384>& read_scratch() {
  static thread_local std::array<char, 16384> scratch;
  return scratch;
}

class Response final : public ClientResponse {
 public:
  // The most body bytes one read_some() returns (it may return fewer; the rest stays in the socket).
  static constexpr size_t kMaxPiece = size_t{256} << 10;
  // The most bytes of incomplete framing kept between reads.
  static constexpr size_t kMaxFraming = size_t{64} << 10;

  Response(tcp::socket socket, std::string url, ClientOptions options, std::string pool_key)
      : stream_(std::move(socket)),
        url_(std::move(url)),
        options_(std::move(options)),
        pool_key_(std::move(pool_key)),
        watch_(std::make_shared<IdleWatch>(stream_.get_executor())) {
    watch_->socket = &stream_.socket();
    // The scratch reads must say "would block", not wait. A connection from the pool already does (asking
    // again would be a system call per request).
    beast::error_code ec;
    if (!stream_.socket().non_blocking()) stream_.socket().non_blocking(true, ec);
  }

  ~Response() override {
    watch_->detach();
    if (options_.canceller) options_.canceller->on_cancel(nullptr);
    if (reusable()) {
      try {
        auto executor = stream_.get_executor();
        ConnectionPool::of(executor).give_back(pool_key_, stream_.release_socket());
        return;
      } catch (const std::exception&) {
        // No memory to keep it: the connection closes below (or already did with the released socket).
      }
    }
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
                    const Headers& headers, const std::string& body) {
    // The head as text and the body as it is, in one gathered write (no field list, no serializer, no copy
    // of the body).
    static const std::string user_agent = std::string("quorum/") + quorum::version();
    std::string request_head;
    append_request_head(request_head, method, target, host, user_agent, headers, body.size());
    std::array<asio::const_buffer, 2> request{asio::buffer(request_head), asio::buffer(body)};
    beast::error_code ec;
    stream_.expires_after(options_.head_timeout);
    stage::mark(stage::Stage::kWriting);
    // At once when the connection takes it all (the usual case: a request fits in an idle connection's
    // send buffer), asynchronously for what it did not take.
    const ssize_t sent = send_now(stream_.socket().native_handle(), request);
    if (sent < 0) {
      ec.assign(errno, boost::system::system_category());
    } else if (static_cast<size_t>(sent) < request_head.size() + body.size()) {
      skip_bytes(request, static_cast<size_t>(sent));
      co_await asio::async_write(stream_, request, asio::redirect_error(use_awaitable, ec));
    }
    stage::mark(stage::Stage::kWritten);
    if (ec) {
      stale_ = true;  // the server never saw the request
      co_return fail(ec);
    }
    parser_.body_limit(boost::none);
    // The head alone: body bytes that came with it are parsed by read_some(), which hands what a malformed
    // chunk follows to the caller before the error.
    parser_.eager(false);
    co_await http::async_read_header(stream_, buffer_, parser_, asio::redirect_error(use_awaitable, ec));
    stage::mark_end(stage::Stage::kResponseHead);
    parser_.eager(true);
    stream_.expires_never();
    if (ec) {
      // Closed without a byte of response: on a reused connection, the server had closed it while idle.
      stale_ = ec == http::error::end_of_stream || ec == asio::error::connection_reset;
      co_return fail(ec);
    }
    if (buffer_.size() == 0) buffer_.shrink_to_fit();
    auto& head = parser_.get();
    status_ = static_cast<int>(head.result_int());
    copy_fields(head, headers_);
    // The parser keeps what it needs of the head in its flags (keep-alive, chunked): its copy of the fields
    // would only take room for as long as the stream lasts.
    head.clear();
    head.reason({});
    head_arena_.release();
    co_return Ok{};
  }

  int status() const override { return status_; }
  const Headers& headers() const override { return headers_; }

  // Reads into a small buffer of the response's (a streamed token fits), and when that fills, takes whatever
  // else is already there in large reads through the thread's scratch, without waiting. Bytes are parsed
  // where they were read; the de-chunked body goes straight into the returned string. Only an incomplete
  // piece of framing (a chunk-size line cut short, the CRLF that ends a chunk) is kept for the next read
  // (keep_tail()).
  //
  // (Waiting for readability with async_wait and then reading would need no buffer at all, but Asio re-arms
  // epoll with a system call for every such wait, which costs more than the half kilobyte.)
  //
  // The coroutine keeps only what lives across its wait: everything else is in the plain functions it calls.
  // Its frame then fits Asio's per-thread recycling (frames up to 1,020 bytes; this one was 1,536 with the
  // buffer and the error temporaries in it), so that a streamed token costs no allocation here and does not
  // push the smaller frames of the stream out of the recycling either.
  Task<void> read_into(BodySink& sink) override {
    BodyOut out{sink};
    for (;;) {
      if (before_read(out)) co_return;
      beast::error_code ec;
      watch_->begin_wait(options_.read_idle_timeout);
      const size_t n = co_await stream_.socket().async_read_some(asio::buffer(first_),
                                                                 asio::redirect_error(use_awaitable, ec));
      watch_->end_wait();
      if (after_read(ec, n, out)) co_return;
    }
  }

  // read_into() gathered into a string; an error after bytes is kept, and the next call's read_into() tells
  // it.
  Task<Result<std::string>> read_some() override {
    struct Gather final : BodySink {
      std::string bytes;
      std::unique_ptr<ApiError> error;
      void on_body(std::string_view b) override { bytes.append(b); }
      void on_end() override {}
      void on_error(ApiError e) override { error = std::make_unique<ApiError>(std::move(e)); }
    } gather;
    co_await read_into(gather);
    if (gather.error) {
      if (gather.bytes.empty()) co_return std::move(*gather.error);
      pending_error_ = std::move(gather.error);
    }
    co_return std::move(gather.bytes);
  }

  Task<Result<std::string>> read_all(size_t limit) override {
    std::string all;
    for (;;) {
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

  // A connection that a reused socket's server had already closed: the request can go again on a new one.
  bool stale() const { return stale_ && !cancelled(); }

  // Reads what is left of the body (after an SSE stream's [DONE], the end of the chunked body is usually a
  // few bytes away) so that the connection can be reused. Gives up after `limit` of silence or 64 KB.
  Task<void> drain(std::chrono::milliseconds limit) override {
    options_.read_idle_timeout = limit;
    size_t total = 0;
    while (!broken_ && !cancelled() && !parser_.is_done() && total < (size_t{64} << 10)) {
      auto piece = co_await read_some();
      if (!piece || piece->empty()) break;
      total += piece->size();
    }
  }

  ApiError fail(const beast::error_code& ec) {
    broken_ = true;
    if (cancelled()) return cancelled_error();
    if (ec == beast::error::timeout) return ApiError::server(504, "Timed out waiting for " + url_ + ".");
    if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
        ec == asio::error::connection_reset) {
      return ApiError::server(502, url_ + " closed the connection before the response was complete.");
    }
    return unreachable(url_, ec);
  }

 private:
  // Where parse() puts body bytes: the caller's sink, counting what it was given in this call.
  struct BodyOut {
    BodySink& sink;
    size_t given = 0;
    void append(const char* bytes, size_t size) {
      if (size == 0) return;
      given += size;
      sink.on_body(std::string_view(bytes, size));
    }
  };

  // Ends a read_into() call with `error` (after the bytes it gave, if any).
  bool failed(BodyOut& out, ApiError error) {
    out.sink.on_error(std::move(error));
    return true;
  }

  // read_into() before it waits: an error kept from read_some(), or what the buffer holds parsed into `out`.
  // True when the call is over (bytes given, or the end or an error told), false to wait for more.
  bool before_read(BodyOut& out) {
    if (pending_error_) {
      ApiError error = std::move(*pending_error_);
      pending_error_.reset();
      return failed(out, std::move(error));
    }
    if (buffer_.size() > 0) {
      auto parsed = parse(buffer_.data(), out);
      if (!parsed) return failed(out, parsed.take_error());
      buffer_.consume(*parsed);
      if (buffer_.size() == 0) buffer_.shrink_to_fit();
    }
    if (parser_.is_done()) {
      out.sink.on_end();
      return true;
    }
    return out.given > 0;
  }

  // read_into() after its wait: `n` bytes in first_ (or `ec`) taken, and when first_ filled, what else is
  // already there. True when the call is over, false to go round again (before_read() first).
  bool after_read(beast::error_code ec, size_t n, BodyOut& out) {
    if (watch_->fired) return failed(out, fail(beast::error::timeout));
    if (auto taken = take(ec, first_.data(), n, out); !taken) return failed(out, taken.take_error());
    if (ec || n < first_.size()) return false;
    // The buffer filled: more is probably waiting. One call takes at most kMaxPiece, so that a server that
    // sends faster than the caller consumes cannot make one call run without bound.
    auto& scratch = read_scratch();
    while (out.given < kMaxPiece) {
      size_t m = stream_.socket().read_some(asio::buffer(scratch), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) break;
      if (auto taken = take(ec, scratch.data(), m, out); !taken) return failed(out, taken.take_error());
      if (ec || m < scratch.size()) break;
    }
    return false;
  }

  // The response was read to its end, cleanly, and the server allows another request on the connection.
  bool reusable() const {
    return !broken_ && !cancelled() && !watch_->fired && status_ != 0 && parser_.is_done() &&
           parser_.keep_alive() && buffer_.size() == 0 && tail_size_ == 0 && stream_.socket().is_open();
  }

  // Hands the outcome of one read to the parser: `n` bytes at `data`, or the end of the connection, or an
  // error. Bytes that complete a piece of framing kept from before are joined to it in the thread's scratch;
  // otherwise they are parsed where they are. Only an incomplete tail is kept (keep_tail()), of at most
  // kMaxFraming bytes.
  Status take(const beast::error_code& ec, const char* data, size_t n, BodyOut& out) {
    if (ec == asio::error::eof) {
      // A body delimited by the end of the connection ends here; any other body was cut short.
      beast::error_code eof_ec;
      parser_.put_eof(eof_ec);
      if (eof_ec) return fail(http::error::partial_message);
      return Ok{};
    }
    if (ec) return fail(ec);
    if (tail_size_ > 0 || buffer_.size() > 0) {
      // One thread's scratch (nothing suspends while it is in use); `data` may be the read scratch.
      static thread_local std::string joined;
      joined.assign(tail_.data(), tail_size_);
      const auto kept = buffer_.data();  // a flat buffer: one piece
      joined.append(static_cast<const char*>(kept.data()), kept.size());
      joined.append(data, n);
      tail_size_ = 0;
      buffer_.clear();
      buffer_.shrink_to_fit();
      data = joined.data();
      n = joined.size();
    }
    auto parsed = parse(asio::const_buffer(data, n), out);
    if (!parsed) return parsed.take_error();
    return keep_tail(data + *parsed, n - *parsed);
  }

  // Keeps the `size` bytes the parser could not use yet: in tail_ when they fit (nearly always: the CRLF that
  // ends a chunk, which the parser reads with the next chunk's size line), so that an open stream between
  // two pieces holds no buffer on the heap; else in buffer_.
  Status keep_tail(const char* bytes, size_t size) {
    if (size <= tail_.size()) {
      std::memcpy(tail_.data(), bytes, size);
      tail_size_ = static_cast<uint8_t>(size);
      return Ok{};
    }
    if (size > kMaxFraming) {
      // Only an incomplete piece of framing (a chunk-size line) is kept: no honest server makes one this
      // long.
      broken_ = true;
      return ApiError::server(502, url_ + " sent a malformed HTTP response: a chunk header is too long.");
    }
    buffer_.commit(asio::buffer_copy(buffer_.prepare(size), asio::const_buffer(bytes, size)));
    return Ok{};
  }

  // Feeds `input` to the parser, handing body bytes to `out`; returns how many bytes it used. What is left is
  // an incomplete piece of framing that needs more input.
  Result<size_t> parse(asio::const_buffer input, BodyOut& out) {
    // Body bytes never outnumber the raw bytes they arrive in, so room for the input is always enough. The
    // parser writes into the thread's scratch (growing it never costs a fill per read), then they are
    // appended.
    static thread_local std::string body_room;
    if (body_room.size() < input.size()) body_room.resize(input.size());
    size_t used_total = 0;
    while (used_total < input.size() && !parser_.is_done()) {
      size_t room = input.size() - used_total;
      auto& body = parser_.get().body();
      body.data = body_room.data();
      body.size = room;
      beast::error_code ec;
      size_t used = parser_.put(input + used_total, ec);
      used_total += used;
      out.append(body_room.data(), room - body.size);
      if (ec == http::error::need_more) break;
      if (ec && ec != http::error::need_buffer) {
        broken_ = true;
        return ApiError::server(502, url_ + " sent a malformed HTTP response: " + ec.message() + ".");
      }
      if (used == 0 && !ec) break;
    }
    return used_total;
  }

  beast::tcp_stream stream_;
  std::string url_;
  ClientOptions options_;
  beast::flat_buffer buffer_;  // what came with the head, or an unusually long incomplete tail
  std::array<char, 24> tail_{};
  uint8_t tail_size_ = 0;
  std::array<char, 512> first_;  // read_some()'s buffer
  HeadArena head_arena_;         // the head's fields, given back once they are copied out
  http::response_parser<http::buffer_body, HeadAllocator> parser_{std::piecewise_construct, std::make_tuple(),
                                                                  std::make_tuple(head_arena_.allocator())};
  Headers headers_;
  std::string pool_key_;
  int status_ = 0;
  bool cancelled_ = false;
  bool broken_ = false;
  bool stale_ = false;
  std::unique_ptr<ApiError> pending_error_;  // for the read after one that returned what came before it
  std::shared_ptr<IdleWatch> watch_;
};

// A new connection to the first of `endpoints` that answers, within the connect timeout and the canceller.
Task<Result<tcp::socket>> connect_new(const std::vector<tcp::endpoint>& endpoints, const std::string& url,
                                      const ClientOptions& options) {
  auto executor = co_await asio::this_coro::executor;
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
  beast::error_code ec;
  co_await asio::async_connect(*socket, endpoints, asio::redirect_error(use_awaitable, ec));
  timer.cancel();
  if (options.canceller) options.canceller->on_cancel(nullptr);
  if (options.canceller && options.canceller->cancelled()) co_return cancelled_error();
  if (*timed_out) co_return ApiError::server(504, "Timed out connecting to " + url + ".");
  if (ec) co_return unreachable(url, ec);
  socket->set_option(tcp::no_delay(true), ec);
  co_return std::move(*socket);
}

}  // namespace

Task<Result<std::unique_ptr<ClientResponse>>> http_request(std::string method, std::string url,
                                                           Headers headers, std::string body,
                                                           ClientOptions options) {
  const std::shared_ptr<const HttpUrl> parsed = cached_http_url(url);
  if (!parsed) {
    co_return ApiError::server(502,
                               "Unsupported URL '" + url + "' (expected http://host:port/... or https://).");
  }
  const bool https = parsed->https;
  const std::string& host = parsed->host;
  const unsigned short port_number = parsed->port;
  const std::string port = std::to_string(port_number);
  const std::string& target = parsed->target;
  const std::string& host_header = parsed->host_header;
  // (A CA file other than the system's store makes another pool: a connection trusted one way is not
  // handed to a request that asked for another.)
  std::string pool_key = std::string(options.connector ? "via " : "") +
                         (https         ? "https " + options.ca_file + " "
                          : options.tls ? std::string("tls ")
                                        : std::string()) +
                         host + " " + port;

  auto executor = co_await asio::this_coro::executor;
  stage::mark(stage::Stage::kClientCalled);
  if (options.canceller && options.canceller->cancelled()) co_return cancelled_error();
  auto& pool = ConnectionPool::of(executor);

  std::vector<tcp::endpoint> endpoints;
  for (int attempt = 0;; ++attempt) {
    // First an idle connection from an earlier request, if one is open; a fresh one otherwise, or when the
    // reused one turns out to have been closed by the server.
    std::optional<tcp::socket> socket;
    if (attempt == 0) socket = pool.take(pool_key);
    stage::mark(stage::Stage::kConnectionTaken);
    bool reused = socket.has_value();
    // A setup with a TLS handshake waits for one of the pool's slots for this key (connection_pool.h), or
    // takes a connection given back meanwhile; the slot is held until the handshake is done or failed.
    std::optional<ConnectionPool::SetupSlot> setup;
    if (!reused && (https || options.tls)) {
      auto admitted = co_await pool.admit_setup(pool_key, options.connect_timeout, options.canceller);
      if (admitted.socket) {
        socket = std::move(admitted.socket);
        reused = true;
      } else if (admitted.slot) {
        setup.emplace(std::move(*admitted.slot));
      } else if (options.canceller && options.canceller->cancelled()) {
        co_return cancelled_error();
      } else {
        co_return ApiError::server(504, "Timed out waiting to connect to " + url + ": " +
                                            std::to_string(ConnectionPool::kMaxSetupsPerKey) +
                                            " connections to it were being set up.");
      }
    }
    if (!reused) {
      std::optional<Result<tcp::socket>> connected;
      if (options.connector) {
        connected.emplace(co_await options.connector(executor));
      } else {
        if (endpoints.empty()) {
          beast::error_code ec;
          // An address literal (the usual engine URL) needs no resolver, whose every lookup is a trip
          // through a helper thread.
          if (auto address = asio::ip::make_address(host, ec); !ec) {
            endpoints.emplace_back(address, port_number);
          } else {
            tcp::resolver resolver(executor);
            auto resolved =
                co_await resolver.async_resolve(host, port, asio::redirect_error(use_awaitable, ec));
            if (ec) co_return unreachable(url, ec);
            for (const auto& entry : resolved) endpoints.push_back(entry.endpoint());
          }
        }
        connected.emplace(co_await connect_new(endpoints, url, options));
      }
      if (!*connected) co_return connected->take_error();
      if (https) {
        auto secured = co_await tls_connect_verified(std::move(connected->value()), host, options.ca_file,
                                                     options.connect_timeout, url);
        if (!secured) co_return secured.take_error();
        socket.emplace(std::move(secured.value()));
      } else if (options.tls) {
        auto secured =
            co_await tls_connect(options.tls, std::move(connected->value()), options.connect_timeout, url);
        if (!secured) co_return secured.take_error();
        socket.emplace(std::move(secured.value()));
      } else {
        socket.emplace(std::move(connected->value()));
      }
    }
    auto response = std::make_unique<Response>(std::move(*socket), url, options, pool_key);
    response->arm_cancel();
    auto sent = co_await response->send(method, target, host_header, headers, body);
    if (sent) co_return std::unique_ptr<ClientResponse>(std::move(response));
    if (reused && response->stale()) continue;
    co_return sent.take_error();
  }
}

}  // namespace quorum::net
