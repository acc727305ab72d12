// The registry's probe (EngineRegistry::refresh): an engine that stops answering is marked down, but one that
// answers requests while its probe goes unanswered is busy, and stays up.
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include "engines/registry.h"
#include "fakes.h"

namespace quorum::router::testing {
namespace {

const ApiError kProbeTimedOut = ApiError::server(504, "Timed out waiting for http://engine/v1/models.");

// A registry with one engine offering "m", probed once (so up).
class EngineRegistryProbe : public ::testing::Test {
 protected:
  void SetUp() override {
    registry.add(engine, false);
    probe();
    ASSERT_EQ(registry.holders("m").size(), 1u);
  }
  void probe() { run(io, registry.refresh()); }

  asio::io_context io;
  engines::EngineRegistry registry;
  std::shared_ptr<FakeBackend> engine = std::make_shared<FakeBackend>("e", std::vector<std::string>{"m"});
};

TEST_F(EngineRegistryProbe, AnEngineThatStopsAnsweringIsMarkedDown) {
  engine->list_error = kProbeTimedOut;
  probe();
  EXPECT_TRUE(registry.holders("m").empty());
  EXPECT_EQ(registry.offline_holders("m").size(), 1u);  // "the engine is down", not "no such model"
}

TEST_F(EngineRegistryProbe, AnEngineAnsweringRequestsWhileItsProbeTimesOutStaysUp) {
  engine->list_error = kProbeTimedOut;
  engine->answers_while_listing = true;
  probe();
  EXPECT_EQ(registry.holders("m").size(), 1u);
  EXPECT_TRUE(registry.status().front().up);

  // An answer from before the probe began is no sign of life.
  engine->answers_while_listing = false;
  probe();
  EXPECT_TRUE(registry.holders("m").empty());
}

// A burst of requests for a model nobody has: each would refresh, but they share the one that runs.
TEST_F(EngineRegistryProbe, RefreshesThatOverlapProbeEachEngineOnce) {
  engine->list_calls = 0;
  engine->list_gate = std::make_shared<asio::steady_timer>(io, asio::steady_timer::time_point::max());
  int finished = 0;
  for (int i = 0; i < 5; ++i) {
    asio::co_spawn(
        io,
        [&]() -> Task<void> {
          co_await registry.refresh_if_older(std::chrono::milliseconds(0));
          ++finished;
        },
        asio::detached);
  }
  io.restart();
  io.poll();  // every call has started: the one probe waits at the gate, the others for it
  EXPECT_EQ(engine->list_calls, 1);
  EXPECT_EQ(finished, 0);  // the others wait for its answer, not return before it
  engine->set_models({"m", "n"});
  engine->list_gate->cancel();
  io.restart();
  io.run();
  EXPECT_EQ(finished, 5);
  EXPECT_EQ(engine->list_calls, 1);
  EXPECT_EQ(registry.holders("n").size(), 1u);  // and what they wait for is its answer

  // Once it has ended, the next call probes again.
  engine->list_gate.reset();
  run(io, registry.refresh_if_older(std::chrono::milliseconds(0)));
  EXPECT_EQ(engine->list_calls, 2);
}

// A refresh whose executor shuts down while it waits for an engine (the node stopping) still ends: the next
// call probes instead of waiting for it forever.
TEST_F(EngineRegistryProbe, ARefreshDestroyedUnfinishedStillEnds) {
  auto other = std::make_unique<asio::io_context>();
  engine->list_calls = 0;
  engine->list_gate = std::make_shared<asio::steady_timer>(*other, asio::steady_timer::time_point::max());
  asio::co_spawn(*other, registry.refresh_if_older(std::chrono::milliseconds(0)), asio::detached);
  other->poll();
  ASSERT_EQ(engine->list_calls, 1);
  engine->list_gate.reset();  // the probe's coroutine holds the last reference
  other.reset();              // destroys the probe's coroutine, unfinished
  run(io, registry.refresh_if_older(std::chrono::milliseconds(0)));
  EXPECT_EQ(engine->list_calls, 2);
}

}  // namespace
}  // namespace quorum::router::testing
