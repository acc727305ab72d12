// The pool's limit on connection setups per key: beyond kMaxSetupsPerKey a request waits, and is served in
// order by a slot passed on or a connection given back; it gives up at its limit or when cancelled.
#include "net/connection_pool.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <list>
#include <vector>

namespace quorum::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct Outcome {
  bool done = false;
  bool slot = false;
  bool socket = false;
};

// Asks for a setup of `key` and records what came; a slot it got is kept in `slots`.
void ask(asio::io_context& io, ConnectionPool& pool, const std::string& key, std::chrono::milliseconds limit,
         const CancellerPtr& canceller, Outcome& outcome, std::list<ConnectionPool::SetupSlot>& slots) {
  asio::co_spawn(
      io,
      [&, key, limit, canceller]() -> Task<void> {
        auto admitted = co_await pool.admit_setup(key, limit, canceller);
        outcome.slot = admitted.slot.has_value();
        outcome.socket = admitted.socket.has_value();
        if (admitted.slot) slots.push_back(std::move(*admitted.slot));
        outcome.done = true;
      },
      asio::detached);
}

// A pool whose key "peer" has every setup slot taken (by `first`, whose slots are in `slots`).
struct ConnectionPoolSetups : ::testing::Test {
  asio::io_context io;
  ConnectionPool& pool = ConnectionPool::of(io.get_executor());
  std::list<ConnectionPool::SetupSlot> slots;
  std::vector<Outcome> first = std::vector<Outcome>(ConnectionPool::kMaxSetupsPerKey);

  void SetUp() override {
    for (auto& o : first) ask(io, pool, "peer", 10s, nullptr, o, slots);
    io.poll();
    for (const auto& o : first) ASSERT_TRUE(o.done && o.slot);
    io.restart();  // it ran out of work, which stops it
  }
};

TEST_F(ConnectionPoolSetups, BeyondTheLimitARequestWaitsForASlotPassedOn) {
  Outcome waiting, other_key;
  ask(io, pool, "peer", 10s, nullptr, waiting, slots);
  ask(io, pool, "another peer", 10s, nullptr, other_key, slots);
  io.poll();
  EXPECT_TRUE(other_key.done && other_key.slot);  // each key has its own limit
  EXPECT_FALSE(waiting.done);
  EXPECT_EQ(pool.setups_in_flight("peer"), ConnectionPool::kMaxSetupsPerKey);
  EXPECT_EQ(pool.setups_waiting("peer"), 1u);

  slots.pop_front();  // a setup ends: its slot goes to the waiter
  io.poll();
  EXPECT_TRUE(waiting.done && waiting.slot);
  EXPECT_EQ(pool.setups_in_flight("peer"), ConnectionPool::kMaxSetupsPerKey);
  slots.clear();
  EXPECT_EQ(pool.setups_in_flight("peer"), 0u);
}

TEST_F(ConnectionPoolSetups, AConnectionGivenBackGoesToTheFirstWaiterInsteadOfIdling) {
  Outcome a, b;
  ask(io, pool, "peer", 10s, nullptr, a, slots);
  ask(io, pool, "peer", 10s, nullptr, b, slots);
  io.poll();
  pool.give_back("peer", asio::ip::tcp::socket(io));
  io.poll();
  EXPECT_TRUE(a.done && a.socket && !a.slot);  // in order of arrival
  EXPECT_FALSE(b.done);
  EXPECT_FALSE(pool.take("peer"));  // handed over, not kept idle
  slots.pop_back();
  io.poll();
  EXPECT_TRUE(b.done && b.slot);
}

TEST_F(ConnectionPoolSetups, AWaiterGivesUpAtItsLimitOrWhenCancelled) {
  Outcome timed, cancelled, patient;
  auto canceller = std::make_shared<Canceller>();
  ask(io, pool, "peer", 20ms, nullptr, timed, slots);
  ask(io, pool, "peer", 10s, canceller, cancelled, slots);
  ask(io, pool, "peer", 10s, nullptr, patient, slots);
  io.poll();
  EXPECT_EQ(pool.setups_waiting("peer"), 3u);
  canceller->cancel();
  io.poll();
  EXPECT_TRUE(cancelled.done && !cancelled.slot && !cancelled.socket);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!timed.done && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(100ms);  // its 20 ms limit
  ASSERT_TRUE(timed.done);
  EXPECT_FALSE(timed.slot || timed.socket);
  EXPECT_EQ(pool.setups_waiting("peer"), 1u);  // both left the queue
  slots.pop_back();
  io.poll();
  EXPECT_TRUE(patient.done && patient.slot);  // the slot skips those who left
}

}  // namespace
}  // namespace quorum::net
