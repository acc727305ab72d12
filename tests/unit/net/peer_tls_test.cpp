// TLS between peers, end to end through the real client and server on loopback: a request with
// ClientOptions::tls is served over a TLS session (Arrival::kPeerTls), whole bodies both ways, on a
// kept-alive connection for the next request; a client with another key gets no session and the handler never
// runs; plain HTTP to the same server is served as before.
#include "net/peer_tls.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <thread>

#include "net/http_client.h"
#include "net/http_server.h"

namespace quorum::net {
namespace {

const std::string kKey(32, 'k');

struct Seen {
  Arrival arrival;
  size_t body_size;
  size_t open_connections;
};

// A server with `tls` on 127.0.0.1, on a thread of its own; it answers with the body it got, reversed.
struct TlsServer {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::unique_ptr<HttpServer> server;
  std::thread thread;
  std::mutex mutex;
  std::vector<Seen> seen;

  TlsServer() {
    ServerOptions options;
    options.tls = make_peer_tls("quorum-peer-tls-v1:test", kKey);
    server = std::make_unique<HttpServer>(
        io.get_executor(), "127.0.0.1", 0,
        [this](HttpRequest& req, ResponseWriter& w) -> Task<void> {
          {
            std::lock_guard lock(mutex);
            seen.push_back({req.arrival, req.body.size(), server->open_connections()});
          }
          std::string answer(req.body.rbegin(), req.body.rend());
          Headers h;
          h.add("Content-Type", "text/plain");
          co_await w.send(200, h, std::move(answer));
        },
        std::move(options));
    server->start();
    thread = std::thread([this] { io.run(); });
  }
  ~TlsServer() {
    asio::post(io, [this] { server->stop(true); });
    work.reset();
    thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()) + "/echo"; }
};

struct Answer {
  int status = 0;
  std::string body;
  std::string error;
};

// Runs the requests one after another on a client io_context of their own.
std::vector<Answer> ask(const std::string& url, std::shared_ptr<const PeerTls> tls,
                        const std::vector<std::string>& bodies) {
  asio::io_context io{1};
  std::vector<Answer> answers;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        for (const auto& body : bodies) {
          ClientOptions options;
          options.connect_timeout = std::chrono::milliseconds(5000);
          options.tls = tls;
          auto r = co_await http_request("POST", url, {}, body, options);
          Answer a;
          if (!r) {
            a.status = r.error().status;
            a.error = r.error().message;
          } else {
            a.status = (*r)->status();
            auto text = co_await (*r)->read_all();
            if (text) a.body = std::move(*text);
          }
          answers.push_back(std::move(a));
        }
      },
      asio::detached);
  io.run();
  return answers;
}

TEST(PeerTls, ARequestGoesInATlsSessionAndTheNextOneReusesIt) {
  TlsServer server;
  std::string big(1 << 20, 'x');
  big[0] = 'a';
  auto answers = ask(server.url(), make_peer_tls("quorum-peer-tls-v1:test", kKey), {"hello", big});
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].status, 200) << answers[0].error;
  EXPECT_EQ(answers[0].body, "olleh");
  EXPECT_EQ(answers[1].status, 200) << answers[1].error;
  ASSERT_EQ(answers[1].body.size(), big.size());
  EXPECT_EQ(answers[1].body.back(), 'a');
  std::lock_guard lock(server.mutex);
  ASSERT_EQ(server.seen.size(), 2u);
  EXPECT_EQ(server.seen[0].arrival, Arrival::kPeerTls);
  EXPECT_EQ(server.seen[1].arrival, Arrival::kPeerTls);
  EXPECT_EQ(server.seen[1].body_size, big.size());
  EXPECT_EQ(server.seen[1].open_connections, 1u) << "the second request came on the first one's connection";
}

TEST(PeerTls, AClientWithAnotherKeyGetsNoSessionAndNothingIsHandled) {
  TlsServer server;
  for (auto tls : {make_peer_tls("quorum-peer-tls-v1:test", std::string(32, 'o')),
                   make_peer_tls("quorum-peer-tls-v1:other", kKey)}) {
    auto answers = ask(server.url(), tls, {"hello"});
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].status, 502);
    EXPECT_NE(answers[0].error.find("No TLS session"), std::string::npos) << answers[0].error;
  }
  std::lock_guard lock(server.mutex);
  EXPECT_TRUE(server.seen.empty());
}

TEST(PeerTls, PlainHttpToTheSameServerIsServedAsBefore) {
  TlsServer server;
  auto answers = ask(server.url(), nullptr, {"plain"});
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, 200) << answers[0].error;
  EXPECT_EQ(answers[0].body, "nialp");
  std::lock_guard lock(server.mutex);
  ASSERT_EQ(server.seen.size(), 1u);
  EXPECT_EQ(server.seen[0].arrival, Arrival::kLoopback);
}

TEST(PeerTls, OnlyAHandshakeRecordBeginsTls) {
  EXPECT_TRUE(begins_tls(0x16));
  for (unsigned char c : std::string("GET POST HEAD OPTIONS PUT DELETE \r\n")) EXPECT_FALSE(begins_tls(c));
}

}  // namespace
}  // namespace quorum::net
