// HttpServer before the handler: the Admit callback sees the head and may refuse before the body is read and
// before `100 Continue`; unverified bodies get room in the intake or 503; HEAD answers carry no body, so the
// kept-alive connection stays in step. Real sockets on loopback: the server runs on its own thread, the
// client is blocking with a receive timeout (no sleeps).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "net/http_server.h"

namespace quorum::net {
namespace {

using tcp = asio::ip::tcp;

// A server on 127.0.0.1 whose io_context runs on a thread of its own for the test's length.
struct ServerThread {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::unique_ptr<HttpServer> server;
  std::thread thread;
  std::atomic<int> handled{0};

  explicit ServerThread(ServerOptions options) {
    server = std::make_unique<HttpServer>(
        io.get_executor(), "127.0.0.1", 0,
        [this](HttpRequest& req, ResponseWriter& w) -> Task<void> {
          ++handled;
          Headers h;
          h.add("Content-Type", "text/plain");
          co_await w.send(200, h, "got " + std::to_string(req.body.size()));
        },
        std::move(options));
    server->start();
    thread = std::thread([this] { io.run(); });
  }
  ~ServerThread() {
    work.reset();
    io.stop();
    thread.join();
  }

  tcp::socket connect() {
    tcp::socket client(io);
    client.connect({asio::ip::make_address("127.0.0.1"), server->port()});
    timeval timeout{10, 0};
    ::setsockopt(client.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return client;
  }
};

// Everything the server sends until it closes its side.
std::string read_to_end(tcp::socket& client) {
  std::string received;
  boost::system::error_code ec;
  asio::read(client, asio::dynamic_buffer(received), ec);
  EXPECT_EQ(ec, asio::error::eof) << ec.message();
  return received;
}

// Reads until `text` has arrived (or 10 s passed).
std::string read_past(tcp::socket& client, std::string& buffer, std::string_view text) {
  boost::system::error_code ec;
  asio::read_until(client, asio::dynamic_buffer(buffer), std::string(text), ec);
  return buffer;
}

TEST(HttpServerAdmission, ARefusedHeadIsAnsweredWithoutContinueAndItsBodyIsNeverHandled) {
  ServerOptions options;
  std::string seen_target;
  options.admit = [&](const RequestHead& head) {
    seen_target = head.target;
    Headers h;
    h.add("Content-Type", "application/json");
    return Admission::refuse(401, h, R"({"error":{"message":"no","type":"t","param":null,"code":"c"}})");
  };
  ServerThread s(std::move(options));
  auto client = s.connect();
  asio::write(
      client,
      asio::buffer(std::string_view(
          "POST /v1/x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n")));
  std::string received = read_to_end(client);
  EXPECT_EQ(received.find("100 Continue"), std::string::npos) << received;
  EXPECT_EQ(received.rfind("HTTP/1.1 401", 0), 0u) << received;
  EXPECT_NE(received.find("Connection: close"), std::string::npos) << received;
  EXPECT_NE(received.find(R"("code":"c")"), std::string::npos) << received;
  EXPECT_EQ(seen_target, "/v1/x");
  EXPECT_EQ(s.handled, 0);
}

TEST(HttpServerAdmission, AnAdmittedHeadGetsContinueThenItsBodyIsRead) {
  ServerOptions options;
  options.admit = [](const RequestHead&) { return Admission::admit(false); };
  ServerThread s(std::move(options));
  auto client = s.connect();
  asio::write(client,
              asio::buffer(std::string_view(
                  "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")));
  std::string buffer;
  read_past(client, buffer, "\r\n\r\n");
  EXPECT_EQ(buffer.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u) << buffer;
  asio::write(client, asio::buffer(std::string_view("hello")));
  read_past(client, buffer, "got 5");
  EXPECT_NE(buffer.find("HTTP/1.1 200"), std::string::npos) << buffer;
}

TEST(HttpServerAdmission, UnverifiedBodiesBeyondTheBudgetGet503Unread) {
  IntakeLimits limits;
  limits.unverified_body_bytes = 10;
  ServerOptions options;
  options.intake = std::make_shared<Intake>(limits);
  options.admit = [](const RequestHead&) { return Admission::admit(false); };
  ServerThread s(std::move(options));
  auto big = s.connect();
  asio::write(big,
              asio::buffer(std::string_view("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n")));
  std::string refused = read_to_end(big);
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused;
  EXPECT_EQ(s.handled, 0);

  auto small = s.connect();
  asio::write(
      small,
      asio::buffer(std::string_view("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789")));
  std::string buffer;
  read_past(small, buffer, "got 10");
  EXPECT_NE(buffer.find("HTTP/1.1 200"), std::string::npos) << buffer;
}

TEST(HttpServerAdmission, AHeadAnswerHasTheLengthButNoBodyAndTheNextRequestFollows) {
  ServerThread s(ServerOptions{});
  auto client = s.connect();
  asio::write(client, asio::buffer(std::string_view("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n"
                                                    "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n"
                                                    "Connection: close\r\n\r\nab")));
  std::string received = read_to_end(client);
  const std::string head_answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n";
  EXPECT_EQ(received.rfind(head_answer, 0), 0u) << received;
  EXPECT_EQ(received.find("HTTP/1.1 200", head_answer.size()), head_answer.size())
      << "the next answer follows the head at once: " << received;
  EXPECT_NE(received.find("got 2"), std::string::npos) << received;
}

}  // namespace
}  // namespace quorum::net
