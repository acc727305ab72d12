// The accept loop takes a burst of queued connections in one wake-up. A thread busy with many streams runs
// the loop once per pass over its ready handlers; taking one connection per pass left new clients waiting
// seconds in the kernel's queue under load. Real sockets on loopback.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <set>
#include <vector>

#include "net/http_server.h"

namespace quorum::net {
namespace {

using tcp = asio::ip::tcp;

TEST(HttpServerAccept, AQueuedBurstIsTakenInOneWakeUpWhileTheThreadIsBusy) {
  asio::io_context io{1};
  HttpServer server(
      io.get_executor(), "127.0.0.1", 0, [](HttpRequest&, ResponseWriter&) -> Task<void> { co_return; },
      ServerLimits{}, false);
  server.start();
  io.poll();  // the accept loop reaches its first wait

  // The kernel completes each connection at once: all of them are in the listener's queue before the
  // server's thread runs again.
  constexpr size_t kBurst = 32;
  std::vector<tcp::socket> clients;
  for (size_t i = 0; i < kBurst; ++i) {
    clients.emplace_back(io);
    clients.back().connect({asio::ip::make_address("127.0.0.1"), server.port()});
  }

  // A busy thread: one other handler ready at every moment (each posts the next), as open streams keep it.
  // Between two of them, the server has taken none of the burst or all of it.
  std::set<size_t> seen;
  int steps = 0;
  std::function<void()> busy = [&] {
    seen.insert(server.open_connections());
    if (server.open_connections() < kBurst && ++steps < 1000) asio::post(io, busy);
  };
  asio::post(io, busy);
  while (io.run_one() > 0 && server.open_connections() < kBurst) {
  }
  EXPECT_EQ(server.open_connections(), kBurst);
  EXPECT_EQ(seen, (std::set<size_t>{0}));  // no step saw a part of the burst taken
}

}  // namespace
}  // namespace quorum::net
