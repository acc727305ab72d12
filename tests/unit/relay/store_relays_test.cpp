// The Store's registry of relays sharing one database, and their mesh secret (mesh_registry.h), on both
// backends.
#include <gtest/gtest.h>

#include "relay/store.h"
#include "store_test_support.h"

namespace quorum::relay {
namespace {

using testing::ok;
using testing::StoreTest;

std::vector<std::string> ids(const std::vector<RelayRecord>& relays) {
  std::vector<std::string> out;
  for (const auto& r : relays) out.push_back(r.id);
  return out;
}

TEST_P(StoreTest, ARelayIsLiveWhileItKeepsAnnouncingItself) {
  ASSERT_TRUE(store().announce_relay("relay-b", "http://10.0.0.2:8443").ok());
  ASSERT_TRUE(store().announce_relay("relay-a", "http://10.0.0.1:8443").ok());
  auto both = ok(store().relays_seen_since(now_ - kRelayLiveFor.count()));
  EXPECT_EQ(ids(both), (std::vector<std::string>{"relay-a", "relay-b"}));  // by id
  EXPECT_EQ(both[0].url, "http://10.0.0.1:8443");
  EXPECT_EQ(both[0].started_at, kStart);
  EXPECT_EQ(both[0].last_seen_at, kStart);

  // relay-a keeps announcing itself (at a new address); relay-b stopped.
  now_ += 4;
  ASSERT_TRUE(store().announce_relay("relay-a", "http://10.0.0.9:8443").ok());
  now_ += 3;
  auto live = ok(store().relays_seen_since(now_ - kRelayLiveFor.count()));
  ASSERT_EQ(ids(live), (std::vector<std::string>{"relay-a"}));
  EXPECT_EQ(live[0].url, "http://10.0.0.9:8443");
  EXPECT_EQ(live[0].started_at, kStart) << "a refresh keeps the start";
  EXPECT_EQ(live[0].last_seen_at, kStart + 4);

  // A clean shutdown takes the row away at once.
  EXPECT_TRUE(ok(store().remove_relay("relay-a")));
  EXPECT_FALSE(ok(store().remove_relay("relay-a")));
  EXPECT_TRUE(ok(store().relays_seen_since(0)).size() == 1u);  // relay-b's stale row, dead
  EXPECT_FALSE(store().announce_relay("", "http://x").ok());
  EXPECT_FALSE(store().announce_relay("relay-c", std::string(300, 'u')).ok());
}

TEST_P(StoreTest, EveryRelayOfADatabaseGetsTheSameMeshSecret) {
  const std::string first = ok(store().mesh_secret());
  EXPECT_EQ(first.size(), 64u);
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(ok(store().mesh_secret()), first);
  reopen();  // another relay (or this one, started again) on the same database
  EXPECT_EQ(ok(store().mesh_secret()), first);
}

}  // namespace
}  // namespace quorum::relay
