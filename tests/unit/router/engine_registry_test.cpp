// The registry's probe (EngineRegistry::refresh): an engine that stops answering is marked down, but one that
// answers requests while its probe goes unanswered is busy, and stays up.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace quorum::router::testing
