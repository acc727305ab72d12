#include "net/server_writer.h"

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <span>

namespace quorum::net {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

ServerWriter::ServerWriter(beast::tcp_stream& stream, unsigned version, bool keep_alive, bool head_only)
    : stream_(stream), version_(version), keep_alive_(keep_alive), head_only_(head_only) {}

Task<bool> ServerWriter::send(int status, const Headers& headers, std::string body) {
  if (gone_ || started_) co_return false;
  started_ = true;
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
  if (ec) gone_ = true;
  complete_ = !ec;
  co_return !ec;
}

Task<bool> ServerWriter::begin_stream(int status, const Headers& headers) {
  if (gone_ || started_) co_return false;
  started_ = true;
  streaming_ = true;
  http::response<http::empty_body> res{static_cast<http::status>(status), version_};
  for (const auto& [k, v] : headers.items()) res.set(k, v);
  // HTTP/1.0 has no chunked encoding: the body ends when the connection closes.
  chunked_ = version_ >= 11;
  if (!chunked_) keep_alive_ = false;
  res.keep_alive(keep_alive_);
  res.chunked(chunked_);
  http::response_serializer<http::empty_body> serializer{res};
  serializer.split(true);
  beast::error_code ec;
  while (!serializer.is_header_done() && !ec) {
    serializer.next(ec, [&](beast::error_code&, const auto& buffers) {
      size_t n = 0;
      for (auto b : beast::buffers_range_ref(buffers)) {
        head_.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      serializer.consume(n);
    });
  }
  co_return true;
}

Task<bool> ServerWriter::write(std::string_view data) {
  if (gone_ || !streaming_) co_return false;
  if (data.empty() && head_.empty()) co_return true;
  co_return co_await send_body_part(data, false);
}

Task<bool> ServerWriter::end_stream(std::string_view last_data) {
  if (gone_ || !streaming_) co_return false;
  bool ok = co_await send_body_part(last_data, true);
  complete_ = ok;
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

Task<bool> ServerWriter::send_body_part(std::string_view data, bool last) {
  static constexpr std::string_view kCrlf = "\r\n";
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";
  if (head_only_) {
    data = {};
    last = false;
  }
  if (data.empty() && !last && head_.empty()) co_return true;
  char size_line[24];
  std::array<asio::const_buffer, 5> buffers;
  size_t count = 0;
  if (!head_.empty()) buffers[count++] = asio::buffer(head_);
  if (!data.empty() && chunked_) {
    int size_len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", data.size());
    buffers[count++] = asio::buffer(size_line, static_cast<size_t>(size_len));
    buffers[count++] = asio::buffer(data.data(), data.size());
    buffers[count++] = asio::buffer(kCrlf.data(), kCrlf.size());
  } else if (!data.empty()) {
    buffers[count++] = asio::buffer(data.data(), data.size());
  }
  if (last && chunked_) buffers[count++] = asio::buffer(kLastChunk.data(), kLastChunk.size());
  beast::error_code ec;
  if (count > 0) {
    stream_.expires_after(kWriteTimeout);
    co_await asio::async_write(stream_, std::span(buffers.data(), count),
                               asio::redirect_error(use_awaitable, ec));
    stream_.expires_never();
  }
  head_.clear();
  head_.shrink_to_fit();
  if (ec) gone_ = true;
  co_return !ec;
}

}  // namespace quorum::net
