#include "core/rate_limit.h"

#include <gtest/gtest.h>

namespace quorum {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const RateClock::time_point t0{seconds(1000)};

TEST(TokenBucket, StartsFullThenAllowsTheRate) {
  TokenBucket b(2, 3);
  EXPECT_TRUE(b.take(t0));
  EXPECT_TRUE(b.take(t0));
  EXPECT_TRUE(b.take(t0));
  EXPECT_FALSE(b.take(t0)) << "the burst is spent";
  EXPECT_FALSE(b.take(t0 + milliseconds(400)));
  EXPECT_TRUE(b.take(t0 + milliseconds(500)));
  EXPECT_FALSE(b.take(t0 + milliseconds(500)));
  // Ten seconds of 10^4 attempts a second: 2 a second get through.
  int allowed = 0;
  for (int ms = 501; ms <= 10'500; ++ms) {
    for (int i = 0; i < 10; ++i) allowed += b.take(t0 + milliseconds(ms));
  }
  EXPECT_EQ(allowed, 20);
}

TEST(TokenBucket, NeverHoldsMoreThanTheBurst) {
  TokenBucket b(100, 5);
  int allowed = 0;
  for (int i = 0; i < 50; ++i) allowed += b.take(t0 + seconds(3600));
  EXPECT_EQ(allowed, 5);
}

TEST(TokenBucket, SaysWhenTheNextTokenComes) {
  TokenBucket b(4, 1);
  EXPECT_EQ(b.next_token(t0), t0) << "full: now";
  ASSERT_TRUE(b.take(t0));
  auto next = b.next_token(t0);
  EXPECT_GE(next, t0 + milliseconds(250));
  EXPECT_LE(next, t0 + milliseconds(251));
  EXPECT_FALSE(b.take(next - milliseconds(1)));
  EXPECT_TRUE(b.take(next));
}

TEST(TokenBucket, TimeGoingBackDoesNotMintTokens) {
  TokenBucket b(1, 1);
  ASSERT_TRUE(b.take(t0 + seconds(10)));
  EXPECT_FALSE(b.take(t0));
  EXPECT_FALSE(b.take(t0 + seconds(10)));
  EXPECT_TRUE(b.take(t0 + seconds(11)));
}

TEST(LogBudget, HoldsLinesBackAndSaysHowManyInTheNextOne) {
  LogBudget budget(0.5, 2);
  EXPECT_EQ(budget.admit(t0), 0u);
  EXPECT_EQ(budget.admit(t0), 0u);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(budget.admit(t0 + milliseconds(i)));
  EXPECT_EQ(budget.admit(t0 + seconds(2)), 1000u) << "the next line written tells of the 1000 held back";
  EXPECT_EQ(with_held_back("line", 1000), "line (1000 similar lines not logged)");
  EXPECT_EQ(with_held_back("line", 0), "line");
}

TEST(LogBudget, ASummaryTellsOfLinesHeldBackWhenNoOtherLineComes) {
  LogBudget budget(0.5, 1);
  EXPECT_EQ(budget.summary(t0), 0u) << "nothing held back";
  ASSERT_TRUE(budget.admit(t0));
  EXPECT_FALSE(budget.admit(t0));
  EXPECT_FALSE(budget.admit(t0));
  EXPECT_EQ(budget.summary(t0 + seconds(1)), 0u) << "no summary before the budget allows a line";
  EXPECT_EQ(budget.summary(t0 + seconds(2)), 2u);
  EXPECT_EQ(budget.summary(t0 + seconds(10)), 0u) << "told once";
}

}  // namespace
}  // namespace quorum
