#include "link/bridge.h"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>

namespace quorum::link {

namespace asio = net::asio;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

struct Bridge {
  Bridge(std::shared_ptr<LinkStream> s, const asio::any_io_executor& executor)
      : stream(std::move(s)), local(executor) {}
  std::shared_ptr<LinkStream> stream;
  asio::local::stream_protocol::socket local;
  int running = 2;

  void fail(const char* code) {
    stream->reset(code);
    error_code ec;
    local.close(ec);
  }
  void pump_done() {
    if (--running == 0) {
      error_code ec;
      local.close(ec);
    }
  }
};

// Socket → stream.
net::Task<void> pump_up(std::shared_ptr<Bridge> b) {
  std::array<char, LinkStream::kChunkBytes> buffer;
  for (;;) {
    error_code ec;
    const size_t n =
        co_await b->local.async_read_some(asio::buffer(buffer), asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::eof) {
      co_await b->stream->end();
      break;
    }
    if (ec) {
      b->fail("cancelled");
      break;
    }
    if (!co_await b->stream->write(std::string_view(buffer.data(), n))) {
      b->fail("cancelled");
      break;
    }
  }
  b->pump_done();
}

// Stream → socket.
net::Task<void> pump_down(std::shared_ptr<Bridge> b) {
  for (;;) {
    auto data = co_await b->stream->read();
    if (!data) {
      error_code ec;
      b->local.close(ec);
      break;
    }
    error_code ec;
    if (data->empty()) {
      b->local.shutdown(asio::socket_base::shutdown_send, ec);
      break;
    }
    co_await asio::async_write(b->local, asio::buffer(*data), asio::redirect_error(use_awaitable, ec));
    if (ec) {
      b->fail("cancelled");
      break;
    }
  }
  b->pump_done();
}

}  // namespace

Result<tcp::socket> bridge_to_socket(const std::shared_ptr<LinkStream>& stream,
                                     const asio::any_io_executor& stream_executor,
                                     const asio::any_io_executor& socket_executor) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    stream->reset("overloaded");
    return ApiError::server(503,
                            "No socket pair for a relay stream: " + std::string(std::strerror(errno)) + ".");
  }
  auto bridge = std::make_shared<Bridge>(stream, stream_executor);
  tcp::socket outside(socket_executor);
  error_code ec;
  outside.assign(tcp::v4(), fds[0], ec);
  if (!ec) bridge->local.assign(asio::local::stream_protocol(), fds[1], ec);
  if (ec) {
    if (!outside.is_open()) ::close(fds[0]);
    if (!bridge->local.is_open()) ::close(fds[1]);
    stream->reset("overloaded");
    return ApiError::server(503, "No socket pair for a relay stream: " + ec.message() + ".");
  }
  asio::co_spawn(stream_executor, pump_up(bridge), asio::detached);
  asio::co_spawn(stream_executor, pump_down(bridge), asio::detached);
  return outside;
}

}  // namespace quorum::link
