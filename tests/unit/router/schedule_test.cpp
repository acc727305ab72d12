#include "router/schedule.h"

#include <gtest/gtest.h>

namespace quorum::router {
namespace {

using V = std::vector<size_t>;

TEST(Scheduler, ThisNodeFirstWhenItIsAWarmFreeHolder) {
  // peer warm and idle, this node warm with one of two slots busy
  EXPECT_EQ(schedule({{false, true, 0, 4}, {true, true, 1, 2}}), (V{1, 0}));
}

TEST(Scheduler, ABusyLocalHolderYieldsToALessLoadedWarmPeer) {
  EXPECT_EQ(schedule({{true, true, 2, 2}, {false, true, 1, 4}}), (V{1, 0}));
}

TEST(Scheduler, WarmBeforeColdWhateverTheLoad) {
  EXPECT_EQ(schedule({{false, false, 0, 4}, {false, true, 3, 4}}), (V{1, 0}));
  EXPECT_EQ(schedule({{true, false, 0, 4}, {false, true, 3, 4}}), (V{1, 0}));
}

TEST(Scheduler, LeastLoadedAmongEquals) {
  EXPECT_EQ(schedule({{false, false, 3, 4}, {false, false, 1, 4}, {false, false, 1, 8}}), (V{2, 1, 0}));
}

TEST(Scheduler, ThisNodeBeforePeersOnATieAndOtherwiseTheGivenOrder) {
  EXPECT_EQ(schedule({{false, false, 0, 4}, {false, false, 0, 4}, {true, false, 0, 4}}), (V{2, 0, 1}));
}

TEST(Scheduler, ZeroCapacityCountsAsOne) {
  EXPECT_EQ(schedule({{false, true, 1, 0}, {false, true, 0, 0}}), (V{1, 0}));
  EXPECT_TRUE(schedule({}).empty());
}

}  // namespace
}  // namespace quorum::router
