#include "relay/usage_batch.h"

#include <gtest/gtest.h>

namespace quorum::relay {
namespace {

TEST(UsageBatch, RecordsOfOneRowAreSummedAndOthersKeptApart) {
  UsageBatch batch;
  EXPECT_FALSE(batch.add({"2024-03-01", "c", "k", "n", "m", 1, 0, 10, 5}));
  EXPECT_FALSE(batch.add({"2024-03-01", "c", "k", "n", "m", 1, 1, 20, 0}));
  EXPECT_FALSE(batch.add({"2024-03-01", "c", "", "n", "m", 1, 0, 1, 1}));
  EXPECT_FALSE(batch.add({"2024-03-02", "c", "k", "n", "m", 1, 0, 1, 1}));
  EXPECT_EQ(batch.size(), 3u);
  auto rows = batch.take();
  EXPECT_TRUE(batch.empty());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].key_id, "");
  EXPECT_EQ(rows[1].requests, 2u);
  EXPECT_EQ(rows[1].failed, 1u);
  EXPECT_EQ(rows[1].prompt_tokens, 30u);
  EXPECT_EQ(rows[1].completion_tokens, 5u);
  EXPECT_EQ(rows[2].day, "2024-03-02");
  EXPECT_TRUE(batch.take().empty());
}

TEST(UsageBatch, SaysWhenItIsFullAndKeepsWhatComesAfter) {
  UsageBatch batch(2);
  EXPECT_FALSE(batch.add({"2024-03-01", "c", "k", "n", "a", 1, 0, 0, 0}));
  EXPECT_TRUE(batch.add({"2024-03-01", "c", "k", "n", "b", 1, 0, 0, 0}));
  EXPECT_TRUE(batch.add({"2024-03-01", "c", "k", "n", "c", 1, 0, 0, 0}));
  EXPECT_EQ(batch.take().size(), 3u);
}

TEST(UsageBatch, RecordsTheStoreWouldRefuseAreDroppedAndCounted) {
  UsageBatch batch;
  batch.add({"yesterday", "c", "k", "n", "m", 1, 0, 0, 0});
  batch.add({"2024-03-01", "c", "k", "n", "", 1, 0, 0, 0});
  batch.add({"2024-03-01", "c", "k", "n", std::string(300, 'm'), 1, 0, 0, 0});
  batch.add({"2024-03-01", "c", "k", "n", "m", 1, 0, 0, 0});
  EXPECT_EQ(batch.dropped(), 3u);
  EXPECT_EQ(batch.take().size(), 1u);
}

TEST(UsageBatch, CountsSaturate) {
  UsageBatch batch;
  batch.add({"2024-03-01", "c", "k", "n", "m", UINT64_MAX, 0, UINT64_MAX - 1, 0});
  batch.add({"2024-03-01", "c", "k", "n", "m", 5, 0, 5, 0});
  auto rows = batch.take();
  EXPECT_EQ(rows[0].requests, UINT64_MAX);
  EXPECT_EQ(rows[0].prompt_tokens, UINT64_MAX);
}

}  // namespace
}  // namespace quorum::relay
