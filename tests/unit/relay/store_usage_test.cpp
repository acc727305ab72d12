// The Store's daily usage, and that the Store can be called from several threads.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "relay/store.h"
#include "store_test_support.h"

namespace quorum::relay {
namespace {

using testing::ok;
using testing::StoreTest;

TEST(UtcDay, IsTheUtcCalendarDay) {
  EXPECT_EQ(utc_day(0), "1970-01-01");
  EXPECT_EQ(utc_day(1'700'000'000), "2023-11-14");
  EXPECT_EQ(utc_day(1'709'251'199), "2024-02-29");  // 23:59:59 of a leap day
  EXPECT_EQ(utc_day(1'709'251'200), "2024-03-01");
}

TEST_P(StoreTest, UsageOfOneDayKeyNodeAndModelIsSummed) {
  add_cluster("c1");
  const std::string day = utc_day(now_);
  ASSERT_TRUE(store().record_usage({day, "c1", "key1", "n1", "llama3", 1, 0, 100, 20}).ok());
  ASSERT_TRUE(store().record_usage({day, "c1", "key1", "n1", "llama3", 2, 1, 50, 5}).ok());
  auto rows = store().usage("c1", day, day);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  const UsageRecord& r = (*rows)[0];
  EXPECT_EQ(r.day, "2023-11-14");
  EXPECT_EQ(r.key_id, "key1");
  EXPECT_EQ(r.node_id, "n1");
  EXPECT_EQ(r.model, "llama3");
  EXPECT_EQ(r.requests, 3u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.prompt_tokens, 150u);
  EXPECT_EQ(r.completion_tokens, 25u);
}

TEST_P(StoreTest, UsageRowsAreApartPerKeyNodeModelAndDayAndReadByRange) {
  add_cluster("c1");
  add_cluster("c2");
  std::vector<UsageRecord> batch = {
      {"2024-03-02", "c1", "k", "n1", "m", 1, 0, 1, 1},  {"2024-03-01", "c1", "k", "n1", "m", 1, 0, 1, 1},
      {"2024-03-01", "c1", "", "n1", "m", 1, 0, 1, 1},   {"2024-03-01", "c1", "k", "n2", "m", 1, 0, 1, 1},
      {"2024-03-01", "c1", "k", "n1", "m2", 1, 0, 1, 1}, {"2024-03-01", "c2", "k", "n1", "m", 1, 0, 1, 1},
      {"2024-02-29", "c1", "k", "n1", "m", 1, 0, 1, 1},
  };
  ASSERT_TRUE(store().record_usage(batch).ok());
  auto rows = store().usage("c1", "2024-03-01", "2024-03-02");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 5u);
  // By day, then key ("" first: node-to-node traffic), node, model.
  EXPECT_EQ((*rows)[0].key_id, "");
  EXPECT_EQ((*rows)[1].node_id, "n1");
  EXPECT_EQ((*rows)[1].model, "m");
  EXPECT_EQ((*rows)[2].model, "m2");
  EXPECT_EQ((*rows)[3].node_id, "n2");
  EXPECT_EQ((*rows)[4].day, "2024-03-02");
  EXPECT_EQ(store().usage("c2", "2024-01-01", "2024-12-31")->size(), 1u);
  EXPECT_TRUE(store().usage("c1", "2024-04-01", "2024-04-30")->empty());
}

TEST_P(StoreTest, ABatchIsAddedWhollyOrNotAtAll) {
  add_cluster("c1");
  const std::string day = utc_day(now_);
  // The second record names a cluster the store does not know: the database refuses it, and the first is
  // rolled back with it.
  std::vector<UsageRecord> batch = {{day, "c1", "k", "n", "m", 1, 0, 1, 1},
                                    {day, "ghost", "k", "n", "m", 1, 0, 1, 1}};
  auto recorded = store().record_usage(batch);
  ASSERT_FALSE(recorded.ok());
  EXPECT_EQ(recorded.error().status, 500);
  EXPECT_TRUE(store().usage("c1", day, day)->empty());
  // A malformed record is refused before anything is written.
  batch[1] = {"14/11/2023", "c1", "k", "n", "m", 1, 0, 1, 1};
  recorded = store().record_usage(batch);
  ASSERT_FALSE(recorded.ok());
  EXPECT_EQ(recorded.error().status, 400);
  EXPECT_TRUE(store().usage("c1", day, day)->empty());
}

TEST_P(StoreTest, MalformedDaysAndTextsAreRefusedWith400) {
  add_cluster("c1");
  for (const char* day :
       {"", "2024-3-01", "2024-13-01", "2024-00-10", "2024-01-32", "2024-01-0a", "2024_01_01"}) {
    auto recorded = store().record_usage({day, "c1", "k", "n", "m", 1, 0, 0, 0});
    ASSERT_FALSE(recorded.ok()) << day;
    EXPECT_EQ(recorded.error().status, 400);
  }
  EXPECT_EQ(store().record_usage({"2024-01-01", "c1", "k", "n", "", 1, 0, 0, 0}).error().status, 400);
  EXPECT_EQ(
      store().record_usage({"2024-01-01", "c1", "k", "n", std::string(257, 'm'), 1, 0, 0, 0}).error().status,
      400);
  EXPECT_TRUE(store().record_usage({"2024-01-01", "c1", "k", "n", std::string(256, 'm'), 1, 0, 0, 0}).ok());
  EXPECT_EQ(store().usage("c1", "yesterday", "2024-01-01").error().status, 400);
  // A range's bounds need only the shape: everything is "0000-00-00" to "9999-99-99".
  auto all = store().usage("c1", "0000-00-00", "9999-99-99");
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->size(), 1u);
}

// A sum past SQLite's largest integer would become a REAL, which the table refuses with the whole batch.
TEST_P(StoreTest, UsageSumsSaturateInsteadOfFailingTheBatch) {
  add_cluster("c1");
  const std::string day = utc_day(now_);
  const uint64_t huge = static_cast<uint64_t>(INT64_MAX) - 1;
  ASSERT_TRUE(store().record_usage({day, "c1", "k", "n", "m", 1, 0, huge, 0}).ok());
  std::vector<UsageRecord> batch = {{day, "c1", "k", "n", "m", 1, 0, huge, 0},
                                    {day, "c1", "k", "n", "m2", 1, 0, 1, 0}};
  auto recorded = store().record_usage(batch);
  ASSERT_TRUE(recorded.ok()) << recorded.error().message;
  auto rows = ok(store().usage("c1", day, day));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].prompt_tokens, static_cast<uint64_t>(INT64_MAX));
  EXPECT_EQ(rows[0].requests, 2u);
}

// One call may carry the same row twice, and texts with the characters an array literal or SQL quotes
// (PostgreSQL writes a whole call in one statement of arrays).
TEST_P(StoreTest, ABatchMaySumTheSameRowAndCarryAnyText) {
  add_cluster("c1");
  const std::string day = utc_day(now_);
  const std::string odd = R"(m "1", {2} \3' NULL)";
  const uint64_t huge = static_cast<uint64_t>(INT64_MAX) - 1;
  std::vector<UsageRecord> batch = {{day, "c1", "k", "n", odd, 1, 0, huge, 5},
                                    {day, "c1", "k", "n", odd, 2, 1, huge, 6},
                                    {day, "c1", "", "n", "NULL", 1, 0, 0, 0}};
  auto recorded = store().record_usage(batch);
  ASSERT_TRUE(recorded.ok()) << recorded.error().message;
  auto rows = ok(store().usage("c1", day, day));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].key_id, "");
  EXPECT_EQ(rows[0].model, "NULL");
  EXPECT_EQ(rows[1].model, odd);
  EXPECT_EQ(rows[1].requests, 3u);
  EXPECT_EQ(rows[1].failed, 1u);
  EXPECT_EQ(rows[1].prompt_tokens, static_cast<uint64_t>(INT64_MAX));
  EXPECT_EQ(rows[1].completion_tokens, 11u);
  EXPECT_TRUE(store().record_usage(std::vector<UsageRecord>{}).ok());
}

// The relay calls the store from one thread, but the store does not rely on it.
TEST_P(StoreTest, CallsFromSeveralThreadsAreSerialised) {
  add_cluster("c1");
  const std::string day = utc_day(now_);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE(store().record_usage({day, "c1", "k", "n", "m", 1, 0, 2, 3}).ok());
        EXPECT_TRUE(store().create_key("c1", "k" + std::to_string(t) + "-" + std::to_string(i), {}).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto rows = store().usage("c1", day, day);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].requests, 100u);
  EXPECT_EQ((*rows)[0].completion_tokens, 300u);
  EXPECT_EQ(store().keys_of("c1")->size(), 100u);
}

}  // namespace
}  // namespace quorum::relay
