#include "cluster/answer_pacer.h"

#include <gtest/gtest.h>

namespace quorum::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const RateClock::time_point t0{seconds(1000)};

TEST(AnswerPacer, AFirstQueryIsAnsweredAtOnce) {
  AnswerPacer pacer;
  EXPECT_TRUE(pacer.on_query(2, t0));
  EXPECT_FALSE(pacer.next_due());
}

TEST(AnswerPacer, TenThousandQueriesASecondCostOneAnswerASecondPerLink) {
  AnswerPacer pacer;
  int answers = 0;
  // 10^4 queries a second for 5 s on link 2, and the answers the pacer defers, sent when due.
  for (int tenth_ms = 0; tenth_ms < 50'000; ++tenth_ms) {
    const auto now = t0 + std::chrono::microseconds(tenth_ms * 100);
    for (unsigned link : pacer.take_due(now)) {
      EXPECT_EQ(link, 2u);
      pacer.sent(link, now);
      ++answers;
    }
    if (pacer.on_query(2, now)) {
      pacer.sent(2, now);
      ++answers;
    }
  }
  EXPECT_EQ(answers, 5);
}

TEST(AnswerPacer, AQueryRightAfterAMulticastIsAnsweredWhenTheSecondIsOver) {
  AnswerPacer pacer;
  pacer.sent(2, t0);  // an announcement of our own
  EXPECT_FALSE(pacer.on_query(2, t0 + milliseconds(300)));
  EXPECT_FALSE(pacer.on_query(2, t0 + milliseconds(600))) << "already scheduled";
  EXPECT_EQ(pacer.next_due(), t0 + seconds(1));
  EXPECT_TRUE(pacer.take_due(t0 + milliseconds(999)).empty());
  EXPECT_EQ(pacer.take_due(t0 + seconds(1)), std::vector<unsigned>{2});
  EXPECT_FALSE(pacer.next_due());
}

TEST(AnswerPacer, LinksArePacedApart) {
  AnswerPacer pacer;
  EXPECT_TRUE(pacer.on_query(2, t0));
  pacer.sent(2, t0);
  EXPECT_TRUE(pacer.on_query(3, t0 + milliseconds(10))) << "another interface";
  EXPECT_FALSE(pacer.on_query(2, t0 + milliseconds(10)));
}

TEST(AnswerPacer, AnAnnouncementAnswersWhatWasScheduled) {
  AnswerPacer pacer;
  pacer.sent(2, t0);
  EXPECT_FALSE(pacer.on_query(2, t0 + milliseconds(100)));
  pacer.sent(2, t0 + milliseconds(500));
  EXPECT_FALSE(pacer.next_due());
}

TEST(AnswerPacer, AnInterfaceGoneIsForgotten) {
  AnswerPacer pacer;
  pacer.sent(2, t0);
  EXPECT_FALSE(pacer.on_query(2, t0 + milliseconds(100)));
  pacer.keep_only({3});
  EXPECT_FALSE(pacer.next_due());
  EXPECT_TRUE(pacer.on_query(2, t0 + milliseconds(200)));
}

}  // namespace
}  // namespace quorum::cluster
