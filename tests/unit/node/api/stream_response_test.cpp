// write_generation (src/node/api/stream_response.h) when the client leaves mid-stream: the caller's outcome
// still holds the time to the first token and the tokens that went out, so that the request's record (the
// Dashboard's row, the log line, the metrics) tells what the client got before it pressed Stop.
#include "node/api/stream_response.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace quorum::node::api {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;

// A client that takes every write and wakes `wrote` each time.
class FakeClient : public net::ResponseWriter {
 public:
  explicit FakeClient(asio::io_context& io) : wrote(io) {}
  net::Task<bool> send(int, const net::Headers&, std::string) override { co_return true; }
  net::Task<bool> begin_stream(int, const net::Headers&) override { co_return true; }
  net::Task<bool> write(std::string_view data) override {
    received += data;
    wrote.cancel();
    co_return true;
  }
  net::Task<bool> end_stream(std::string_view last) override {
    received += last;
    co_return true;
  }
  net::Task<void> wait_client_gone() override { co_return; }
  bool client_gone() const override { return false; }

  std::string received;
  asio::steady_timer wrote;
};

TEST(WriteGeneration, AClientLeavingMidStreamKeepsTheFirstTokenTimeAndTheTokensSent) {
  asio::io_context io{1};
  FakeClient client(io);
  EventQueue queue(io.get_executor(), 16);
  wire::StreamIdentity identity;
  identity.id = "chatcmpl-test";
  StreamOutcome outcome;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> net::Task<void> {
        const std::vector<std::string> texts{"one ", "two ", "three "};
        for (const std::string& text : texts) {
          QueueItem item{QueueItem::kEvent, wire::TextDelta{0, text}};
          co_await queue.push(std::move(item));
        }
        // The client leaves once the three tokens went out, while the engine would go on.
        auto leaves = [&]() -> net::Task<void> {
          while (client.received.find("three") == std::string::npos) {
            client.wrote.expires_at(std::chrono::steady_clock::time_point::max());
            boost::system::error_code ec;
            co_await client.wrote.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          }
        };
        // write_generation takes these by reference and starts later: named, so that they outlive it.
        const std::string request_id = "req-1";
        const router::Served served;
        auto writing = write_generation(client, queue, /*stream=*/true, 15s, identity, request_id,
                                        std::chrono::steady_clock::now(), served, outcome);
        auto left = leaves();
        auto first = co_await (std::move(writing) || std::move(left));
        EXPECT_EQ(first.index(), 1u);
        done = true;
      },
      asio::detached);
  io.run_for(5s);
  ASSERT_TRUE(done);
  ASSERT_NE(client.received.find("three"), std::string::npos);
  ASSERT_TRUE(outcome.ttft_seconds.has_value());
  EXPECT_GE(*outcome.ttft_seconds, 0.0);
  EXPECT_EQ(outcome.usage.completion_tokens, 3);
}

}  // namespace
}  // namespace quorum::node::api
