#include "relay/key_limits.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <vector>

namespace quorum::relay {
namespace {

using namespace std::chrono_literals;

// A fake clock: t(10.5) is 10.5 s after an arbitrary start on a whole second.
RateClock::time_point t(double seconds) {
  return RateClock::time_point(std::chrono::hours(1000)) +
         std::chrono::duration_cast<RateClock::duration>(std::chrono::duration<double>(seconds));
}

bool admitted(const KeyAdmission::Verdict& v) {
  return std::holds_alternative<KeyAdmission::Ticket>(v);
}

std::optional<Refusal> refusal(const KeyAdmission::Verdict& v) {
  if (auto* r = std::get_if<Refusal>(&v)) return *r;
  return std::nullopt;
}

KeyAdmission::Ticket ticket(KeyAdmission::Verdict v) {
  return std::get<KeyAdmission::Ticket>(std::move(v));
}

TEST(KeyLimits, UnlimitedKeysAreAlwaysAdmitted) {
  KeyAdmission admission;
  std::vector<KeyAdmission::Ticket> running;
  for (int i = 0; i < 1000; ++i) {
    auto v = admission.admit("k", {}, t(0));
    ASSERT_TRUE(admitted(v));
    running.push_back(ticket(std::move(v)));
  }
}

TEST(KeyLimits, RpmRefusesTheRequestOverTheMinuteUntilTheOldestLeavesIt) {
  KeyAdmission admission;
  const KeyLimits limits{.rpm = 3};
  EXPECT_TRUE(admitted(admission.admit("k", limits, t(10.2))));
  EXPECT_TRUE(admitted(admission.admit("k", limits, t(20.0))));
  EXPECT_TRUE(admitted(admission.admit("k", limits, t(30.9))));
  auto r = refusal(admission.admit("k", limits, t(40.5)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit, Limit::rpm);
  // The request of second 10 leaves the minute at 70.0: 29.5 s away, said as 30.
  EXPECT_EQ(r->retry_after, 30);
  EXPECT_EQ(refusal(admission.admit("k", limits, t(69.99)))->retry_after, 1);
  // Refused requests count for nothing: at 70.0 exactly there is room for one.
  EXPECT_TRUE(admitted(admission.admit("k", limits, t(70.0))));
  r = refusal(admission.admit("k", limits, t(70.1)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->retry_after, 10);  // the request of second 20 leaves at 80.0
}

TEST(KeyLimits, RpmRetryAfterWaitsForEnoughRequestsToLeave) {
  KeyAdmission admission;
  // Five requests in second 5 and one in second 50, under a limit of 6 lowered to 2.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(admitted(admission.admit("k", {.rpm = 6}, t(5.0))));
  ASSERT_TRUE(admitted(admission.admit("k", {.rpm = 6}, t(50.0))));
  auto r = refusal(admission.admit("k", {.rpm = 2}, t(51.0)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->retry_after, 14);  // at 65.0 only the request of second 50 is left: 1 < 2
  r = refusal(admission.admit("k", {.rpm = 1}, t(51.0)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->retry_after, 59);  // 0 < 1 only once the request of second 50 leaves too, at 110.0
}

TEST(KeyLimits, TpmChargesFinishedRequestsAndRefusesAFullMinute) {
  KeyAdmission admission;
  const KeyLimits limits{.tpm = 1000};
  auto first = ticket(admission.admit("k", limits, t(0)));
  auto second = ticket(admission.admit("k", limits, t(0.5)));
  // Nothing is charged before a request finishes.
  EXPECT_TRUE(admitted(admission.admit("k", limits, t(1))));
  first.finish(600, t(12.3));
  EXPECT_TRUE(admitted(admission.admit("k", limits, t(13))));
  // A request admitted with room left may take the minute past the limit.
  second.finish(700, t(20.0));
  auto r = refusal(admission.admit("k", limits, t(21.25)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit, Limit::tpm);
  EXPECT_EQ(r->retry_after, 51);  // 1300 → 700 < 1000 when second 12's 600 leave at 72.0: 50.75 s
  EXPECT_TRUE(refusal(admission.admit("k", limits, t(71.9))));
  EXPECT_TRUE(admitted(admission.admit("k", limits, t(72.0))));
}

TEST(KeyLimits, TpmExactlyAtTheLimitIsFull) {
  KeyAdmission admission;
  ticket(admission.admit("k", {.tpm = 100}, t(0))).finish(100, t(1.0));
  auto r = refusal(admission.admit("k", {.tpm = 100}, t(2.0)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->retry_after, 59);
}

TEST(KeyLimits, TokensChargedAfterTheTicketFinishedCountLikeFinishedOnes) {
  KeyAdmission admission;
  const KeyLimits limits{.tpm = 100, .max_parallel = 1};
  // The request ends (its place is free at once) before its usage is known…
  ticket(admission.admit("k", limits, t(0))).finish(0, t(1.0));
  EXPECT_TRUE(admitted(admission.admit("k", {.max_parallel = 1}, t(1.5))));
  // …which is charged when it comes, to the second it came in.
  admission.charge("k", 150, t(2.2));
  auto r = refusal(admission.admit("k", limits, t(3.0)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit, Limit::tpm);
  EXPECT_EQ(r->retry_after, 59);  // second 2 leaves at 62.0
  EXPECT_TRUE(admitted(admission.admit("k", limits, t(62.0))));
  // A charge to a key not seen lately starts its minute; zero is nothing.
  admission.charge("other", 0, t(63));
  admission.charge("fresh", 100, t(63));
  EXPECT_TRUE(refusal(admission.admit("fresh", limits, t(63.5))));
  EXPECT_TRUE(admitted(admission.admit("other", limits, t(63.5))));
}

TEST(KeyLimits, MaxParallelRefusesUntilARunningRequestEnds) {
  KeyAdmission admission;
  const KeyLimits limits{.max_parallel = 2};
  auto a = ticket(admission.admit("k", limits, t(0)));
  auto b = ticket(admission.admit("k", limits, t(0)));
  auto r = refusal(admission.admit("k", limits, t(0)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit, Limit::max_parallel);
  EXPECT_EQ(r->retry_after, 1);
  a.finish(10, t(1));
  a.finish(10, t(1));  // a second finish frees nothing more
  auto c = ticket(admission.admit("k", limits, t(1)));
  EXPECT_TRUE(refusal(admission.admit("k", limits, t(1))));
  // A ticket dropped unfinished (a cancelled request) frees its slot too.
  { auto dropped = std::move(b); }
  EXPECT_TRUE(admitted(admission.admit("k", limits, t(1))));
}

TEST(KeyLimits, MovedTicketsFreeTheirSlotOnce) {
  KeyAdmission admission;
  const KeyLimits limits{.max_parallel = 1};
  auto a = ticket(admission.admit("k", limits, t(0)));
  KeyAdmission::Ticket b = std::move(a);
  EXPECT_TRUE(refusal(admission.admit("k", limits, t(0))));
  a.finish(5, t(0));  // moved from: nothing
  EXPECT_TRUE(refusal(admission.admit("k", limits, t(0))));
  auto other = ticket(admission.admit("j", limits, t(0)));
  b = std::move(other);  // b's request ends (unfinished); it now holds j's
  EXPECT_TRUE(admitted(admission.admit("k", limits, t(0))));
  EXPECT_TRUE(refusal(admission.admit("j", limits, t(0))));
}

TEST(KeyLimits, WhenSeveralLimitsRefuseTheOneThatFreesLastIsReported) {
  KeyAdmission admission;
  const KeyLimits limits{.rpm = 1, .tpm = 10, .max_parallel = 1};
  auto a = ticket(admission.admit("k", limits, t(30)));
  auto r = refusal(admission.admit("k", limits, t(31)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit, Limit::rpm);  // rpm frees at 90, max_parallel "in 1 s"
  EXPECT_EQ(r->retry_after, 59);
  a.finish(50, t(40));
  r = refusal(admission.admit("k", limits, t(45)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit, Limit::tpm);  // tokens of second 40 leave at 100, the request of 30 at 90
  EXPECT_EQ(r->retry_after, 55);
  EXPECT_EQ(limit_name(r->limit), "tpm");
}

TEST(KeyLimits, KeysAreCountedApart) {
  KeyAdmission admission;
  const KeyLimits limits{.rpm = 1};
  EXPECT_TRUE(admitted(admission.admit("a", limits, t(0))));
  EXPECT_TRUE(admitted(admission.admit("b", limits, t(0))));
  EXPECT_TRUE(refusal(admission.admit("a", limits, t(1))));
}

TEST(KeyLimits, ALoweredOrRaisedLimitAppliesAtOnce) {
  KeyAdmission admission;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(admitted(admission.admit("k", {.rpm = 10}, t(0))));
  EXPECT_TRUE(refusal(admission.admit("k", {.rpm = 3}, t(1))));
  EXPECT_TRUE(admitted(admission.admit("k", {.rpm = 4}, t(1))));
}

TEST(KeyLimits, TimeGoingBackwardsCountsAsTheLatestTime) {
  KeyAdmission admission;
  ASSERT_TRUE(admitted(admission.admit("k", {.rpm = 1}, t(100))));
  auto r = refusal(admission.admit("k", {.rpm = 1}, t(0)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->retry_after, 60);  // as if asked at 100.0
}

TEST(KeyLimits, IdleKeysAreForgottenAndRunningOnesKept) {
  KeyAdmission admission;
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(admitted(admission.admit("key" + std::to_string(i), {.rpm = 5}, t(0))));
  auto running = ticket(admission.admit("long", {.max_parallel = 1}, t(0)));
  EXPECT_EQ(admission.size(), 101u);
  EXPECT_TRUE(admitted(admission.admit("late", {}, t(59))));
  EXPECT_EQ(admission.size(), 102u);  // a minute has not passed for anyone
  EXPECT_TRUE(admitted(admission.admit("late", {}, t(71))));
  EXPECT_EQ(admission.size(), 2u);  // "late" and the running "long"
  // The running request's key keeps its state: still one running.
  EXPECT_TRUE(refusal(admission.admit("long", {.max_parallel = 1}, t(71))));
  running.finish(0, t(72));
  EXPECT_TRUE(admitted(admission.admit("late", {}, t(200))));
  EXPECT_EQ(admission.size(), 1u);
}

TEST(KeyLimits, HugeTokenChargesSaturateInsteadOfWrapping) {
  KeyAdmission admission;
  const KeyLimits limits{.tpm = 1000};
  auto a = ticket(admission.admit("k", limits, t(0)));
  auto b = ticket(admission.admit("k", limits, t(0)));
  a.finish(UINT64_MAX / 2 + 1, t(0));
  b.finish(UINT64_MAX / 2 + 1, t(0));  // 2^64 would wrap to 0
  auto r = refusal(admission.admit("k", limits, t(1)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->retry_after, 59);
}

}  // namespace
}  // namespace quorum::relay
