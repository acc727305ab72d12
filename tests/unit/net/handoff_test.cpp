// The producer/consumer queue between an engine call and a client connection: nothing is lost to a wait that
// times out in the same turn as an item arrives, the producer is held back when the consumer is slow, and a
// closed queue tells the producer to stop.
#include "net/handoff.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace quorum::net {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

Task<void> sleep_until(Clock::time_point t) {
  asio::steady_timer timer(co_await asio::this_coro::executor, t);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

TEST(Handoff, ItemsArrivingAsTheWaitTimesOutAreAllDelivered) {
  asio::io_context io(1);
  Handoff<int> queue(io.get_executor(), 4);
  constexpr int kItems = 200;
  std::vector<int> received;
  int timeouts = 0;
  // Each item is pushed at the very instant the consumer's wait expires.
  auto base = Clock::now() + 5ms;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        for (int i = 0; i < kItems; ++i) {
          co_await sleep_until(base + i * 200us);
          co_await queue.push(i);
        }
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        int expected_deadline = 0;
        while (received.size() < kItems) {
          co_await queue.wait_until(base + expected_deadline++ * 200us);
          if (queue.empty()) {
            ++timeouts;
            continue;
          }
          while (auto item = queue.pop()) received.push_back(*item);
        }
      },
      asio::detached);
  io.run_for(10s);
  ASSERT_EQ(received.size(), static_cast<size_t>(kItems));
  for (int i = 0; i < kItems; ++i) EXPECT_EQ(received[i], i);
}

TEST(Handoff, ProducerWaitsWhileTheQueueIsFullAndResumesWhenDrained) {
  asio::io_context io(1);
  Handoff<int> queue(io.get_executor(), 2);
  int pushed = 0;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        for (int i = 0; i < 10; ++i) {
          if (!co_await queue.push(i)) co_return;
          ++pushed;
        }
      },
      asio::detached);
  io.poll();
  // Capacity 2: the third push is queued and then waits for room.
  EXPECT_EQ(pushed, 2);
  std::vector<int> got;
  while (got.size() < 10) {
    while (auto item = queue.pop()) got.push_back(*item);
    io.poll();
  }
  EXPECT_EQ(pushed, 10);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(got[i], i);
}

TEST(Handoff, CloseStopsAWaitingProducer) {
  asio::io_context io(1);
  Handoff<std::string> queue(io.get_executor(), 1);
  std::vector<bool> results;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        for (int i = 0; i < 3; ++i) results.push_back(co_await queue.push("x"));
      },
      asio::detached);
  io.poll();
  EXPECT_EQ(results, (std::vector<bool>{true})) << "the second item is over capacity, so the producer waits";
  queue.close();
  io.poll();
  EXPECT_EQ(results, (std::vector<bool>{true, false, false}));
  EXPECT_TRUE(queue.empty());
}

TEST(Handoff, WaitReturnsAtTheDeadlineWhenNothingComes) {
  asio::io_context io(1);
  Handoff<int> queue(io.get_executor(), 1);
  bool woke = false;
  auto deadline = Clock::now() + 20ms;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        co_await queue.wait_until(deadline);
        woke = true;
      },
      asio::detached);
  io.run_for(5s);
  EXPECT_TRUE(woke);
  EXPECT_GE(Clock::now(), deadline);
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace quorum::net
