#include "net/server_writer.h"

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <span>
#include <utility>

#include "net/http_head.h"
#include "net/send_now.h"

namespace quorum::net {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

// What watch() keeps: shared with its callbacks, which may run after the writer is gone (they then see
// `writer` null and do nothing).
struct ServerWriter::Watch : std::enable_shared_from_this<Watch> {
  explicit Watch(const asio::any_io_executor& executor) : timer(executor) {}

  // Arms the keep-alive timer for the end of the current quiet period; re-arms itself from there.
  void arm() {
    timer.expires_at(last_write + keepalive);
    timer.async_wait([self = shared_from_this()](const beast::error_code& ec) {
      ServerWriter* w = self->writer;
      if (ec || !w || w->gone_ || w->complete_) return;
      if (Clock::now() >= self->last_write + self->keepalive) {
        w->keep_alive_now(self->filler);
        self->last_write = Clock::now();
      }
      self->arm();
    });
  }

  ServerWriter* writer = nullptr;
  std::function<void()> on_gone;
  std::chrono::milliseconds keepalive{0};
  std::string filler;
  Clock::time_point last_write = Clock::now();
  asio::steady_timer timer;
  bool waiting_read = false;
};

namespace {

// "<size in hex>\r\n", a chunk's size line, into `line`; its length.
size_t chunk_size_line(size_t size, char (&line)[ServerWriter::kSizeLineBytes]) {
  static constexpr char kHex[] = "0123456789abcdef";
  char digits[16];
  size_t n = 0;
  do {
    digits[n++] = kHex[size & 15];
    size >>= 4;
  } while (size != 0);
  for (size_t k = 0; k < n; ++k) line[k] = digits[n - 1 - k];
  line[n] = '\r';
  line[n + 1] = '\n';
  return n + 2;
}

// After a wait for readability on a connection that a handler is answering (nothing else reads it): whether
// the client has left — the wait failed, or the connection is readable with nothing to read (its end). Bytes
// waiting are a pipelined request from a live client.
bool client_left(tcp::socket& socket, const beast::error_code& waited) {
  beast::error_code ec;
  const size_t available = socket.available(ec);
  return waited || ec || available == 0;
}

}  // namespace

ServerWriter::ServerWriter(beast::tcp_stream& stream, unsigned version, bool keep_alive, bool head_only)
    : stream_(stream), version_(version), keep_alive_(keep_alive), head_only_(head_only) {}

ServerWriter::~ServerWriter() {
  try {
    unwatch();
  } catch (...) {  // a timer that fails to cancel leaves its callback to find `writer` null
  }
}

Task<bool> ServerWriter::send(int status, const Headers& headers, std::string body) {
  if (gone_ || sent_any_ || complete_) co_return false;
  owed_.clear();  // a stream begun but not sent: this response replaces it
  streaming_ = false;
  sent_any_ = true;
  http::response<http::string_body> res{static_cast<http::status>(status), version_};
  for (const auto& [k, v] : headers.items()) res.set(k, v);
  res.keep_alive(keep_alive_);
  res.body() = std::move(body);
  res.prepare_payload();
  beast::error_code ec;
  stream_.expires_after(kWriteTimeout);
  if (head_only_) {
    // Content-Length stays: it is the length GET would send.
    http::response_serializer<http::string_body> serializer{res};
    co_await http::async_write_header(stream_, serializer, asio::redirect_error(use_awaitable, ec));
  } else {
    co_await http::async_write(stream_, res, asio::redirect_error(use_awaitable, ec));
  }
  stream_.expires_never();
  if (ec) mark_gone();
  complete_ = !ec;
  co_return !ec;
}

Task<bool> ServerWriter::begin_stream(int status, const Headers& headers) {
  if (gone_ || sent_any_ || complete_) co_return false;
  streaming_ = true;
  // HTTP/1.0 has no chunked encoding: the body ends when the connection closes.
  chunked_ = version_ >= 11;
  if (!chunked_) keep_alive_ = false;
  owed_.clear();
  append_response_head(owed_, status, version_, headers, keep_alive_, chunked_);
  co_return true;
}

Task<bool> ServerWriter::write(std::string_view data) {
  if (gone_ || !streaming_) co_return false;
  if (data.empty() && owed_.empty()) co_return true;
  co_return co_await send_body_part(data, false);
}

bool ServerWriter::write_now(std::string_view data) {
  if (gone_ || !streaming_) return false;
  if (data.empty() && owed_.empty()) return true;
  return send_part_now(data, false);
}

Task<bool> ServerWriter::end_stream(std::string_view last_data) {
  if (gone_ || !streaming_) co_return false;
  bool ok = co_await send_body_part(last_data, true);
  complete_ = ok;
  unwatch();
  co_return ok;
}

Task<void> ServerWriter::wait_client_gone() {
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
    if (client_left(socket, ec)) {
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

void ServerWriter::mark_gone() {
  if (gone_) return;
  gone_ = true;
  if (watch_ && watch_->on_gone) {
    // Never from inside a call of this writer: the handler may be in the middle of one.
    asio::post(stream_.get_executor(), [w = watch_] {
      if (w->writer && w->on_gone) std::exchange(w->on_gone, nullptr)();
    });
  }
}

void ServerWriter::watch(std::function<void()> on_gone, std::chrono::milliseconds keepalive,
                         std::string filler) {
  unwatch();
  watch_ = std::make_shared<Watch>(stream_.get_executor());
  watch_->writer = this;
  watch_->on_gone = std::move(on_gone);
  watch_->keepalive = keepalive;
  watch_->filler = std::move(filler);

  // The client leaving: the connection becomes readable with nothing to read (or fails).
  watch_->waiting_read = true;
  stream_.socket().async_wait(tcp::socket::wait_read, [w = watch_](const beast::error_code& ec) {
    w->waiting_read = false;
    ServerWriter* self = w->writer;
    if (!self || ec == asio::error::operation_aborted) return;
    if (client_left(self->stream_.socket(), ec)) self->mark_gone();
    // Else pipelined bytes from a live client: nothing to tell, and nothing more to watch for here.
  });

  // One timer per watch, re-armed once per quiet keep-alive period, never per write.
  if (keepalive.count() > 0) watch_->arm();
}

void ServerWriter::unwatch() {
  if (!watch_) return;
  watch_->writer = nullptr;
  watch_->on_gone = nullptr;
  watch_->timer.cancel();
  if (watch_->waiting_read) {
    beast::error_code ec;
    stream_.socket().cancel(ec);  // nothing else is pending on the socket between a handler's writes
  }
  watch_.reset();
}

void ServerWriter::keep_alive_now(std::string_view filler) {
  if (!streaming_ || writing_ || head_only_ || filler.empty()) return;
  char size_line[kSizeLineBytes];
  std::array<asio::const_buffer, 5> buffers;
  const auto parts = std::span(buffers.data(), frame(filler, false, size_line, buffers));
  ssize_t n = send_now(stream_.socket().native_handle(), parts);
  if (n < 0) {
    mark_gone();
    return;
  }
  if (n == 0) return;  // the client is not reading: it needs no keep-alive, and owes nothing more
  sent_any_ = true;
  owed_ = rest_of(parts, static_cast<size_t>(n));  // empty once it all went
}

size_t ServerWriter::frame(std::string_view data, bool last, char (&size_line)[kSizeLineBytes],
                           std::array<asio::const_buffer, 5>& buffers) const {
  static constexpr std::string_view kCrlf = "\r\n";
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";
  size_t count = 0;
  if (!owed_.empty()) buffers[count++] = asio::buffer(owed_);
  if (!data.empty() && chunked_) {
    buffers[count++] = asio::buffer(size_line, chunk_size_line(data.size(), size_line));
    buffers[count++] = asio::buffer(data.data(), data.size());
    buffers[count++] = asio::buffer(kCrlf.data(), kCrlf.size());
  } else if (!data.empty()) {
    buffers[count++] = asio::buffer(data.data(), data.size());
  }
  if (last && chunked_) buffers[count++] = asio::buffer(kLastChunk.data(), kLastChunk.size());
  return count;
}

bool ServerWriter::send_part_now(std::string_view data, bool last) {
  if (head_only_) {
    data = {};
    last = false;
  }
  if (data.empty() && !last && owed_.empty()) return true;
  char size_line[kSizeLineBytes];
  std::array<asio::const_buffer, 5> buffers;
  const size_t count = frame(data, last, size_line, buffers);
  if (count == 0) return true;
  auto parts = std::span(buffers.data(), count);
  const size_t total = asio::buffer_size(parts);
  sent_any_ = true;
  if (watch_) watch_->last_write = Clock::now();

  ssize_t n = send_now(stream_.socket().native_handle(), parts);
  if (n < 0) {
    mark_gone();
    return false;
  }
  if (static_cast<size_t>(n) == total) {
    std::string().swap(owed_);  // what was owed (the head) is not kept for the rest of the stream
    return true;
  }
  owed_ = rest_of(parts, static_cast<size_t>(n));
  return false;
}

Task<bool> ServerWriter::send_body_part(std::string_view data, bool last) {
  if (send_part_now(data, last)) co_return true;
  if (gone_) co_return false;
  // The connection took part of it (or none): the rest waits for room, within the write timeout.
  std::string rest = std::exchange(owed_, std::string());
  beast::error_code ec;
  writing_ = true;
  stream_.expires_after(kWriteTimeout);
  co_await asio::async_write(stream_, asio::buffer(rest), asio::redirect_error(use_awaitable, ec));
  stream_.expires_never();
  writing_ = false;
  if (watch_) watch_->last_write = Clock::now();
  if (ec) {
    mark_gone();
    co_return false;
  }
  co_return true;
}

}  // namespace quorum::net
