#include "core/recent_keys.h"

#include <gtest/gtest.h>

namespace quorum {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const RateClock::time_point t0{seconds(1000)};

TEST(RecentKeys, RemembersEachKeyOnce) {
  RecentKeys keys(8, minutes(10));
  EXPECT_TRUE(keys.touch("a", t0));
  EXPECT_FALSE(keys.touch("a", t0 + seconds(1)));
  EXPECT_TRUE(keys.contains("a"));
  keys.erase("a");
  EXPECT_FALSE(keys.contains("a"));
  EXPECT_TRUE(keys.touch("a", t0 + seconds(2))) << "new again once erased";
}

TEST(RecentKeys, AMillionKeysCostTheCapacityTheLeastRecentlyHeardGoFirst) {
  RecentKeys keys(256, minutes(10));
  keys.touch("kept", t0);
  for (int i = 0; i < 1'000'000; ++i) {
    keys.touch(std::to_string(i), t0 + seconds(1));
    if (i % 100 == 0) keys.touch("kept", t0 + seconds(1));  // heard again and again: stays
  }
  EXPECT_EQ(keys.size(), 256u);
  EXPECT_TRUE(keys.contains("kept"));
  EXPECT_TRUE(keys.contains("999999"));
  EXPECT_FALSE(keys.contains("0"));
}

TEST(RecentKeys, KeysNotHeardForMaxAgeAreForgotten) {
  RecentKeys keys(8, minutes(10));
  keys.touch("old", t0);
  keys.touch("fresh", t0 + minutes(9));
  keys.forget_older(t0 + minutes(10));
  EXPECT_EQ(keys.size(), 2u);
  keys.forget_older(t0 + minutes(11));
  EXPECT_FALSE(keys.contains("old"));
  EXPECT_TRUE(keys.contains("fresh"));
  EXPECT_TRUE(keys.touch("old", t0 + minutes(11)));
}

}  // namespace
}  // namespace quorum
