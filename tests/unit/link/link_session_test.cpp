// LinkSession and LinkStream over a real WebSocket on loopback (the server's WebSocket endpoint on one side,
// WebSocket::connect on the other), on one io_context run by the test: streams carry bytes both ways in
// order, an unread stream stops its writer at the window without delaying the other streams, resets and a
// lost link reach the other end, and a bridged stream reads like a socket.
#include "link/link_session.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "link/bridge.h"
#include "net/http_server.h"

namespace quorum::link {
namespace {

namespace asio = net::asio;
using asio::use_awaitable;
using namespace std::chrono_literals;

struct LinkPair {
  asio::io_context io{1};
  std::unique_ptr<net::HttpServer> server;
  std::shared_ptr<LinkSession> relay;
  std::shared_ptr<LinkSession> node;
  std::vector<std::shared_ptr<LinkStream>> opened_at_relay;
  std::string relay_closed;
  LinkLimits node_limits;

  LinkPair() {
    net::ServerOptions options;
    auto endpoint = std::make_shared<net::ServerOptions::WebSocketEndpoint>();
    endpoint->path = "/link";
    endpoint->subprotocol = "test.1";
    endpoint->on_open = [this](net::WebSocket ws, net::RequestHead) {
      relay = std::make_shared<LinkSession>(io.get_executor(), std::move(ws), LinkSession::Side::kRelay);
      LinkSession::Handlers h;
      h.on_open = [this](std::shared_ptr<LinkStream> s) { opened_at_relay.push_back(std::move(s)); };
      h.on_closed = [this](const std::string& reason) { relay_closed = reason.empty() ? "closed" : reason; };
      relay->start(std::move(h));
    };
    options.websocket = endpoint;
    server = std::make_unique<net::HttpServer>(
        io.get_executor(), "127.0.0.1", 0,
        [](net::HttpRequest&, net::ResponseWriter&) -> net::Task<void> { co_return; }, options);
    server->start();
  }

  // Polls `ready` every millisecond for up to 5 s (events, not sleeps: each check is after the loop ran).
  template <class F>
  net::Task<bool> until(F ready) {
    asio::steady_timer t(io);
    for (int i = 0; i < 5000 && !ready(); ++i) {
      t.expires_after(1ms);
      co_await t.async_wait(use_awaitable);
    }
    co_return ready();
  }

  net::Task<void> connect() {
    const std::string url = "ws://127.0.0.1:" + std::to_string(server->port()) + "/link";
    const net::Headers headers;
    const std::string subprotocol = "test.1";
    const net::WebSocketOptions options;
    auto ws = co_await net::WebSocket::connect(io.get_executor(), url, headers, subprotocol, options);
    EXPECT_TRUE(ws.ok()) << (ws ? "" : ws.error().message);
    if (!ws) co_return;
    node = std::make_shared<LinkSession>(io.get_executor(), std::move(*ws), LinkSession::Side::kNode,
                                         node_limits);
    node->start({});
    co_await until([this] { return relay != nullptr; });
  }

  // Runs `body` after connecting; fails the test if it does not finish within 20 s.
  template <class F>
  void run(F body) {
    bool done = false;
    asio::co_spawn(
        io,
        [&]() -> net::Task<void> {
          co_await connect();
          if (node && relay) co_await body();
          done = true;
          if (node) node->abort("test over");
          server->stop(true);
          io.stop();
        },
        asio::detached);
    io.run_for(20s);
    EXPECT_TRUE(done);
  }
};

net::Task<std::string> read_all(std::shared_ptr<LinkStream> s) {
  std::string out;
  for (;;) {
    auto r = co_await s->read();
    if (!r || r->empty()) co_return out;
    out += *r;
  }
}

TEST(LinkSession, StreamsCarryBytesBothWaysInOrder) {
  LinkPair p;
  p.run([&]() -> net::Task<void> {
    auto s = p.node->open(R"({"kind":"test"})");
    EXPECT_EQ(s->id() % 2, 0u);  // a node's ids are even
    std::string big(100000, 'x');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    EXPECT_TRUE(co_await s->write(big));
    EXPECT_TRUE(co_await s->end());
    EXPECT_TRUE(co_await p.until([&] { return !p.opened_at_relay.empty(); }));
    auto at_relay = p.opened_at_relay.front();
    EXPECT_EQ(at_relay->open_payload(), R"({"kind":"test"})");
    EXPECT_EQ(co_await read_all(at_relay), big);
    EXPECT_TRUE(co_await at_relay->write("world"));
    EXPECT_TRUE(co_await at_relay->end());
    EXPECT_EQ(co_await read_all(s), "world");
    EXPECT_TRUE(
        co_await p.until([&] { return p.node->stream_count() == 0 && p.relay->stream_count() == 0; }));
  });
}

TEST(LinkSession, AnUnreadStreamStopsItsWriterAtTheWindowAndDelaysNoOther) {
  LinkPair p;
  p.run([&]() -> net::Task<void> {
    auto slow = p.node->open("{}");
    auto fast = p.node->open("{}");
    size_t written = 0;
    bool slow_done = false;
    asio::co_spawn(
        p.io,
        [&]() -> net::Task<void> {
          const std::string piece(16 * 1024, 's');
          for (int i = 0; i < 64; ++i) {  // 1 MiB
            if (!co_await slow->write(piece)) break;
            written += piece.size();
          }
          slow_done = true;
        },
        asio::detached);
    EXPECT_TRUE(co_await p.until([&] { return written >= kInitialWindow; }));
    EXPECT_TRUE(co_await fast->write("ping"));
    EXPECT_TRUE(co_await fast->end());
    EXPECT_TRUE(co_await p.until([&] { return p.opened_at_relay.size() == 2; }));
    EXPECT_EQ(co_await read_all(p.opened_at_relay[1]), "ping");
    // Nobody read the slow stream: its writer waits at the window, nothing beyond it was sent.
    EXPECT_FALSE(slow_done);
    EXPECT_LE(written, size_t{kInitialWindow});
    // Reading it lets the writer finish, every byte in order.
    auto at_relay = p.opened_at_relay[0];
    size_t got = 0;
    while (got < 64 * 16 * 1024) {
      auto r = co_await at_relay->read();
      if (!r || r->empty()) break;
      got += r->size();
    }
    EXPECT_EQ(got, size_t{64 * 16 * 1024});
    EXPECT_TRUE(co_await p.until([&] { return slow_done; }));
  });
}

TEST(LinkSession, WritersWaitingForRoomAreWokenOneAtATimeAndLoseNothing) {
  // Many streams writing at once into a small send queue: most of their writes wait for room. Each wait
  // must end in a write (a drain wakes one writer, who wakes the next while there is room), not in every
  // waiter waking every other: with 200 writers that was 353,269 waits for 1,600 writes (now 1,699).
  LinkPair p;
  p.node_limits.max_queued_bytes = 8 * 1024;
  constexpr int kStreams = 200;
  constexpr int kPieces = 8;
  p.run([&]() -> net::Task<void> {
    int writers_done = 0;
    for (int i = 0; i < kStreams; ++i) {
      auto s = p.node->open("{}");
      EXPECT_NE(s, nullptr);
      if (!s) co_return;
      asio::co_spawn(
          p.io,
          [&, s, i]() -> net::Task<void> {
            for (int k = 0; k < kPieces; ++k) {
              const std::string piece(1024, static_cast<char>('a' + (i + k) % 26));
              EXPECT_TRUE(co_await s->write(piece));
            }
            EXPECT_TRUE(co_await s->end());
            ++writers_done;
          },
          asio::detached);
    }
    EXPECT_TRUE(co_await p.until([&] { return writers_done == kStreams; }));
    EXPECT_TRUE(co_await p.until([&] { return p.opened_at_relay.size() == size_t{kStreams}; }));
    for (int i = 0; i < kStreams && i < static_cast<int>(p.opened_at_relay.size()); ++i) {
      std::string expected;
      for (int k = 0; k < kPieces; ++k) expected += std::string(1024, static_cast<char>('a' + (i + k) % 26));
      EXPECT_EQ(co_await read_all(p.opened_at_relay[i]), expected) << "stream " << i;
    }
    EXPECT_GT(p.node->room_waits(), 0u);  // the queue was full: writers did wait
    EXPECT_LE(p.node->room_waits(), uint64_t{2} * kStreams * kPieces);
  });
}

TEST(LinkSession, FramesQueuedTogetherGoInBatchesAndArriveInOrder) {
  LinkPair p;
  constexpr int kStreams = 50;
  p.run([&]() -> net::Task<void> {
    p.node->send_batches();
    p.relay->send_batches();
    std::vector<std::shared_ptr<LinkStream>> streams;
    for (int i = 0; i < kStreams; ++i) streams.push_back(p.node->open("{\"n\":" + std::to_string(i) + "}"));
    // Every stream's pieces are queued before the writer runs: they leave in a few messages.
    for (int k = 0; k < 4; ++k) {
      for (int i = 0; i < kStreams; ++i) {
        EXPECT_TRUE(co_await streams[i]->write(std::to_string(i) + "." + std::to_string(k) + ";"));
      }
    }
    for (auto& s : streams) EXPECT_TRUE(co_await s->end());
    EXPECT_TRUE(co_await p.until([&] { return p.opened_at_relay.size() == size_t{kStreams}; }));
    for (int i = 0; i < kStreams && i < static_cast<int>(p.opened_at_relay.size()); ++i) {
      auto at_relay = p.opened_at_relay[i];
      EXPECT_EQ(at_relay->open_payload(), "{\"n\":" + std::to_string(i) + "}");
      const std::string n = std::to_string(i);
      EXPECT_EQ(co_await read_all(at_relay), n + ".0;" + n + ".1;" + n + ".2;" + n + ".3;");
      EXPECT_TRUE(co_await at_relay->write("ok " + n));
      EXPECT_TRUE(co_await at_relay->end());
    }
    for (int i = 0; i < kStreams; ++i) EXPECT_EQ(co_await read_all(streams[i]), "ok " + std::to_string(i));
    EXPECT_GT(p.node->batches_sent(), 0u);
    EXPECT_GT(p.relay->batches_sent(), 0u);
  });
}

TEST(LinkSession, ABatchThatBreaksTheProtocolClosesTheLink) {
  std::string nested;
  append_to_batch(nested, encode(FrameType::kBatch, 0, std::string("\0\0\0\x01x", 5)));
  std::string bad_inner;
  append_to_batch(bad_inner, encode(FrameType::kData, 0, "stream 0"));
  const std::pair<std::string, std::string> cases[] = {
      {std::string("\0\0\0\x05"
                   "ab",
                   6),
       "a BATCH whose lengths do not add up"},
      {nested, "a BATCH inside a BATCH"},
      {bad_inner, "a stream frame on stream 0"},
  };
  for (const auto& [payload, reason] : cases) {
    LinkPair p;
    p.run([&]() -> net::Task<void> {
      p.node->send(FrameType::kBatch, payload);
      EXPECT_TRUE(co_await p.until([&] { return !p.relay_closed.empty(); }));
      EXPECT_EQ(p.relay_closed, "protocol error: " + reason);
    });
  }
}

TEST(LinkSession, AResetReachesTheOtherEndWithItsCode) {
  LinkPair p;
  p.run([&]() -> net::Task<void> {
    auto s = p.node->open("{}");
    EXPECT_TRUE(co_await s->write("x"));
    EXPECT_TRUE(co_await p.until([&] { return !p.opened_at_relay.empty(); }));
    p.opened_at_relay.front()->reset("cancelled");
    auto r = co_await s->read();
    EXPECT_FALSE(r.ok());
    if (!r) EXPECT_EQ(r.error().code.value_or(""), "cancelled");
    EXPECT_FALSE(co_await s->write("more"));
  });
}

TEST(LinkSession, ALostLinkEndsEveryStreamAndTellsItsOwner) {
  LinkPair p;
  p.run([&]() -> net::Task<void> {
    auto s = p.node->open("{}");
    EXPECT_TRUE(co_await s->write("x"));
    EXPECT_TRUE(co_await p.until([&] { return !p.opened_at_relay.empty(); }));
    auto at_relay = p.opened_at_relay.front();
    auto first = co_await at_relay->read();
    EXPECT_TRUE(first.ok());
    if (first) EXPECT_EQ(first.value(), "x");
    p.node->abort("gone");
    auto r = co_await at_relay->read();
    EXPECT_FALSE(r.ok());
    if (!r) EXPECT_EQ(r.error().code.value_or(""), "link_gone");
    EXPECT_TRUE(co_await p.until([&] { return !p.relay_closed.empty(); }));
    EXPECT_EQ(p.relay->stream_count(), 0u);
    EXPECT_EQ(p.node->open("{}"), nullptr);
  });
}

TEST(LinkSession, ABridgedStreamReadsAndWritesLikeASocket) {
  LinkPair p;
  p.run([&]() -> net::Task<void> {
    auto s = p.node->open("{}");
    EXPECT_TRUE(co_await p.until([&] { return !p.opened_at_relay.empty(); }));
    auto socket = bridge_to_socket(p.opened_at_relay.front(), p.io.get_executor(), p.io.get_executor());
    EXPECT_TRUE(socket.ok());
    if (!socket) co_return;
    EXPECT_TRUE(co_await s->write("abc"));
    EXPECT_TRUE(co_await s->end());
    std::string got;
    boost::system::error_code ec;
    std::array<char, 64> buf;
    while (!ec) {
      auto n = co_await socket->async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
      got.append(buf.data(), n);
    }
    EXPECT_EQ(got, "abc");
    EXPECT_EQ(ec, asio::error::eof);
    co_await asio::async_write(*socket, asio::buffer(std::string_view("reply")),
                               asio::redirect_error(use_awaitable, ec));
    socket->shutdown(asio::socket_base::shutdown_send, ec);
    EXPECT_EQ(co_await read_all(s), "reply");
  });
}

}  // namespace
}  // namespace quorum::link
