// HttpServer's reading of requests (whole in one segment, in pieces, pipelined) and stop's drain signal: it
// comes once the server is stopped and its last connection has closed, never while a response is still in
// progress. Real sockets on loopback; no sleeps (the server's io_context runs until a condition holds, with
// a deadline; bytes written on loopback are readable when the write returns).
#include "net/http_server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <functional>

namespace quorum::net {
namespace {

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

// Runs `io` until `done()` holds; false when it still does not after 10 s.
bool run_until(asio::io_context& io, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(50ms);
  }
  return true;
}

// A client connected to `server` with one request sent.
tcp::socket send_request(asio::io_context& io, const HttpServer& server) {
  tcp::socket client(io);
  client.connect({asio::ip::make_address("127.0.0.1"), server.port()});
  asio::write(client, asio::buffer(std::string_view("GET /x HTTP/1.1\r\nHost: test\r\n\r\n")));
  return client;
}

// Everything the server sent until it closed the connection.
std::string read_to_end(tcp::socket& client) {
  std::string received;
  boost::system::error_code ec;
  asio::read(client, asio::dynamic_buffer(received), ec);
  EXPECT_EQ(ec, asio::error::eof);
  return received;
}

Task<void> answer(ResponseWriter& writer, std::string body) {
  Headers headers;
  headers.add("Content-Type", "text/plain");
  co_await writer.send(200, headers, std::move(body));
}

// A server whose handler waits at a gate (opened with gate.cancel()) before it answers `body`: a response
// in progress for as long as the test wants.
struct GatedServer {
  asio::io_context io{1};
  asio::steady_timer gate{io, asio::steady_timer::time_point::max()};
  bool handling = false;
  HttpServer server;

  explicit GatedServer(std::string body)
      : server(io.get_executor(), "127.0.0.1", 0,
               [this, body = std::move(body)](HttpRequest&, ResponseWriter& w) -> Task<void> {
                 handling = true;
                 boost::system::error_code ec;
                 co_await gate.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                 co_await answer(w, body);
               }) {
    server.start();
  }
  // A client whose request the handler is holding at the gate.
  tcp::socket request_in_progress() {
    auto client = send_request(io, server);
    EXPECT_TRUE(run_until(io, [&] { return handling; }));
    return client;
  }
};

// A server answering each request with its method, target and body, and counting them.
struct EchoServer {
  asio::io_context io{1};
  int answered = 0;
  HttpServer server;

  EchoServer()
      : server(io.get_executor(), "127.0.0.1", 0, [this](HttpRequest& req, ResponseWriter& w) -> Task<void> {
          co_await answer(w, req.method + " " + req.target + " [" + req.body + "]");
          ++answered;
        }) {
    server.start();
  }
  tcp::socket connect() {
    tcp::socket client(io);
    client.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    return client;
  }
};

// Once the server has answered `answered` requests in all, reads the `count` responses it has sent since
// the last read (each ends with its body's closing bracket).
std::string read_responses(tcp::socket& client, EchoServer& echo, int answered, int count) {
  EXPECT_TRUE(run_until(echo.io, [&] { return echo.answered >= answered; }));
  std::string received;
  while (std::count(received.begin(), received.end(), ']') < count) {
    std::array<char, 4096> chunk;
    boost::system::error_code ec;
    const size_t n = client.read_some(asio::buffer(chunk), ec);
    if (ec) break;
    received.append(chunk.data(), n);
  }
  return received;
}

TEST(HttpServerRead, ARequestInOneSegmentIsAnswered) {
  EchoServer echo;
  auto client = echo.connect();
  asio::write(
      client,
      asio::buffer(std::string_view("POST /one HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")));
  const std::string received = read_responses(client, echo, 1, 1);
  EXPECT_NE(received.find("HTTP/1.1 200"), std::string::npos) << received;
  EXPECT_NE(received.find("POST /one [hello]"), std::string::npos) << received;
}

TEST(HttpServerRead, ARequestArrivingInPiecesIsReadWhole) {
  // Cut inside the start line, inside a field, between head and body, and inside the body; the server reads
  // what has come after each piece. Then a second request on the same connection, in pieces again.
  EchoServer echo;
  auto client = echo.connect();
  const std::string request = "POST /pieces HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world";
  for (int round = 0; round < 2; ++round) {
    const size_t cuts[] = {6, 20, request.find("\r\n\r\n") + 4, request.size() - 3, request.size()};
    size_t from = 0;
    for (size_t cut : cuts) {
      asio::write(client, asio::buffer(request.data() + from, cut - from));
      from = cut;
      echo.io.poll();
      if (echo.io.stopped()) echo.io.restart();
      if (cut < request.size()) {
        EXPECT_EQ(echo.answered, round) << "answered before the request was whole";
      }
    }
    const std::string received = read_responses(client, echo, round + 1, 1);
    EXPECT_NE(received.find("POST /pieces [hello world]"), std::string::npos) << received;
  }
}

TEST(HttpServerRead, PipelinedRequestsAreAnsweredInOrder) {
  EchoServer echo;
  auto client = echo.connect();
  asio::write(client,
              asio::buffer(std::string_view("GET /first HTTP/1.1\r\nHost: t\r\n\r\n"
                                            "POST /second HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                                            "GET /third HTTP/1.1\r\nHost: t\r\n\r\n")));
  const std::string received = read_responses(client, echo, 3, 3);
  const size_t first = received.find("GET /first []");
  const size_t second = received.find("POST /second [abc]");
  const size_t third = received.find("GET /third []");
  ASSERT_NE(first, std::string::npos) << received;
  ASSERT_NE(second, std::string::npos) << received;
  ASSERT_NE(third, std::string::npos) << received;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
}

TEST(HttpServerRead, AMalformedHeadInOneSegmentIsAnswered400) {
  EchoServer echo;
  auto client = echo.connect();
  asio::write(client, asio::buffer(std::string_view("GET /x HTTP/1.1\r\nHost t\r\n\r\n")));
  std::string received;
  boost::system::error_code ec;
  bool closed = false;
  ASSERT_TRUE(run_until(echo.io, [&] {
    std::array<char, 4096> chunk;
    client.non_blocking(true);
    const size_t n = client.read_some(asio::buffer(chunk), ec);
    received.append(chunk.data(), n);
    closed = ec && ec != asio::error::would_block;
    return closed;
  }));
  EXPECT_NE(received.find("HTTP/1.1 400"), std::string::npos) << received;
  EXPECT_EQ(echo.answered, 0);
}

TEST(HttpServerDrain, WithoutConnectionsTheSignalComesAtOnceButNotInsideStop) {
  asio::io_context io(1);
  HttpServer server(io.get_executor(), "127.0.0.1", 0,
                    [](HttpRequest&, ResponseWriter& w) { return answer(w, "hello"); });
  server.start();
  int drained = 0;
  server.stop(false, [&] { ++drained; });
  EXPECT_EQ(drained, 0);  // posted to the server's executor
  ASSERT_TRUE(run_until(io, [&] { return drained > 0; }));
  io.poll();
  EXPECT_EQ(drained, 1);
}

TEST(HttpServerDrain, TheSignalWaitsForTheResponseInProgress) {
  GatedServer gated("late answer");
  auto& io = gated.io;
  auto& server = gated.server;
  auto client = gated.request_in_progress();

  int drained = 0;
  server.stop(false, [&] { ++drained; });
  io.poll();
  EXPECT_EQ(drained, 0);
  EXPECT_EQ(server.open_connections(), 1u);

  gated.gate.cancel();  // the handler answers now
  ASSERT_TRUE(run_until(io, [&] { return drained > 0; }));
  EXPECT_EQ(server.open_connections(), 0u);
  std::string received = read_to_end(client);
  EXPECT_NE(received.find("HTTP/1.1 200"), std::string::npos) << received;
  EXPECT_NE(received.find("late answer"), std::string::npos) << received;
  io.poll();
  EXPECT_EQ(drained, 1);
}

TEST(HttpServerDrain, AnIdleKeepAliveConnectionIsClosedAndTheSignalFollows) {
  asio::io_context io(1);
  int answered = 0;
  HttpServer server(io.get_executor(), "127.0.0.1", 0, [&](HttpRequest&, ResponseWriter& w) -> Task<void> {
    co_await answer(w, "hello");
    ++answered;
  });
  server.start();
  auto client = send_request(io, server);
  ASSERT_TRUE(run_until(io, [&] { return answered == 1; }));
  io.poll();  // the connection waits for the next request
  EXPECT_EQ(server.open_connections(), 1u);

  bool drained = false;
  server.stop(false, [&] { drained = true; });
  ASSERT_TRUE(run_until(io, [&] { return drained; }));
  EXPECT_EQ(server.open_connections(), 0u);
  EXPECT_NE(read_to_end(client).find("hello"), std::string::npos);
}

TEST(HttpServerDrain, AnAbortingStopClosesTheResponseInProgressAndSignals) {
  GatedServer gated("never sent");
  auto& io = gated.io;
  auto& server = gated.server;
  auto client = gated.request_in_progress();

  bool drained = false;
  server.stop(true, [&] { drained = true; });
  gated.gate.cancel();  // the handler's write fails on the closed socket
  ASSERT_TRUE(run_until(io, [&] { return drained; }));
  EXPECT_EQ(server.open_connections(), 0u);
}

TEST(HttpServerDrain, EveryCallerOfStopIsTold) {
  GatedServer gated("done");
  auto& io = gated.io;
  auto& server = gated.server;
  auto client = gated.request_in_progress();

  int first = 0, second = 0;
  server.stop(false, [&] { ++first; });
  server.stop(false, [&] { ++second; });
  gated.gate.cancel();
  ASSERT_TRUE(run_until(io, [&] { return first > 0 && second > 0; }));
  io.poll();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
}

}  // namespace
}  // namespace quorum::net
