// The Store's nodes and their presence sessions.
#include <gtest/gtest.h>

#include "relay/store.h"
#include "store_test_support.h"

namespace quorum::relay {
namespace {

using testing::ok;
using testing::StoreTest;

TEST_P(StoreTest, ANodeEnrolsInItsCluster) {
  add_cluster("c1");
  now_ += 7;
  auto n = enrol("3b5f0a6c2d8e4f1a9b7c5d3e1f0a2b4c", "c1", "lab-workstation");
  auto found = store().node(n.id);
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_EQ((*found)->cluster_id, "c1");
  EXPECT_EQ((*found)->name, "lab-workstation");
  EXPECT_EQ((*found)->public_key, n.public_key);
  EXPECT_EQ((*found)->enrolled_at, kStart + 7);
  EXPECT_FALSE((*found)->revoked_at);
  EXPECT_FALSE((*found)->last_seen_at);
  EXPECT_FALSE(store().node("unknown")->has_value());
}

TEST_P(StoreTest, ReEnrollingTheSameNodeReplacesItsKeyAndName) {
  add_cluster("c1");
  auto first = enrol("n1", "c1", "old name");
  now_ += 60;
  auto second = enrol("n1", "c1", "new name");
  ASSERT_NE(first.public_key, second.public_key);
  auto found = store().node("n1");
  EXPECT_EQ((*found)->public_key, second.public_key);
  EXPECT_EQ((*found)->name, "new name");
  EXPECT_EQ((*found)->enrolled_at, kStart + 60);
  EXPECT_EQ(store().nodes_of("c1")->size(), 1u);
}

TEST_P(StoreTest, RevokedNodesStayOutAndNodesDoNotChangeCluster) {
  add_cluster("c1");
  add_cluster("c2");
  auto n = enrol("n1", "c1");
  const std::string other_key(32, 'o');
  EXPECT_EQ(ok(store().enrol_node({"n1", "c2", "thief", other_key})), EnrolResult::other_cluster);
  EXPECT_EQ(ok(store().node("n1"))->public_key, n.public_key);

  now_ += 3;
  EXPECT_TRUE(ok(store().revoke_node("n1")));
  EXPECT_EQ(ok(store().node("n1"))->revoked_at, kStart + 3);
  EXPECT_EQ(ok(store().enrol_node({"n1", "c1", "again", other_key})), EnrolResult::node_revoked);
  EXPECT_EQ(ok(store().node("n1"))->public_key, n.public_key);
  now_ += 3;
  EXPECT_TRUE(ok(store().revoke_node("n1")));
  EXPECT_EQ(ok(store().node("n1"))->revoked_at, kStart + 3);
  EXPECT_FALSE(ok(store().revoke_node("nobody")));

  EXPECT_EQ(ok(store().enrol_node({"n9", "unknown-cluster", "x", other_key})), EnrolResult::no_cluster);
  EXPECT_FALSE(store().node("n9")->has_value());
}

TEST_P(StoreTest, BadNodeArgumentsAreRefusedWith400) {
  add_cluster("c1");
  const std::string key(32, 'k');
  for (const Node& bad : {Node{"", "c1", "n", key}, Node{"n", "c1", "", key}, Node{"n", "c1", "n", ""},
                          Node{"n", "c1", "n", key + "x"}, Node{"n", "c1", std::string("a\0b", 3), key}}) {
    auto enrolled = store().enrol_node(bad);
    ASSERT_FALSE(enrolled.ok());
    EXPECT_EQ(enrolled.error().status, 400) << enrolled.error().message;
  }
}

TEST_P(StoreTest, NodesOfAClusterAreListedByName) {
  add_cluster("c1");
  add_cluster("c2");
  enrol("n3", "c1", "zeta");
  enrol("n1", "c1", "alpha");
  enrol("n2", "c2", "beta");
  auto nodes = store().nodes_of("c1");
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].name, "alpha");
  EXPECT_EQ((*nodes)[1].name, "zeta");
  EXPECT_TRUE(store().nodes_of("nope")->empty());
}

TEST_P(StoreTest, TouchingANodeSetsLastSeenAMinuteAtATime) {
  add_cluster("c1");
  enrol("n1", "c1");
  EXPECT_TRUE(ok(store().touch_node("n1", kStart + 42)));
  EXPECT_EQ(ok(store().node("n1"))->last_seen_at, kStart + 42);
  // Within a minute of the last write: nothing is written (the node is still known).
  EXPECT_TRUE(ok(store().touch_node("n1", kStart + 42 + kTouchEvery - 1)));
  EXPECT_EQ(ok(store().node("n1"))->last_seen_at, kStart + 42);
  EXPECT_TRUE(ok(store().touch_node("n1", kStart)));  // never backwards
  EXPECT_EQ(ok(store().node("n1"))->last_seen_at, kStart + 42);
  EXPECT_TRUE(ok(store().touch_node("n1", kStart + 42 + kTouchEvery)));
  EXPECT_EQ(ok(store().node("n1"))->last_seen_at, kStart + 42 + kTouchEvery);
  EXPECT_FALSE(ok(store().touch_node("nobody", kStart)));
}

TEST_P(StoreTest, SessionsRecordConnectionsAndDisconnections) {
  add_cluster("c1");
  enrol("n1", "c1");
  auto first = store().session_opened("n1");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(ok(store().node("n1"))->last_seen_at, kStart);
  now_ += 90;
  EXPECT_TRUE(ok(store().session_closed(*first, "timeout")));
  EXPECT_EQ(ok(store().node("n1"))->last_seen_at, kStart + 90);
  EXPECT_FALSE(ok(store().session_closed(*first, "closed")));  // already ended
  EXPECT_FALSE(ok(store().session_closed(*first + 1000, "closed")));

  auto second = store().session_opened("n1");
  auto third = store().session_opened("n1");
  ASSERT_TRUE(second.ok() && third.ok());
  EXPECT_NE(*second, *third);
  EXPECT_EQ(ok(store().close_open_sessions("relay restarted")), 2);
  EXPECT_EQ(ok(store().close_open_sessions("relay restarted")), 0);

  auto unknown = store().session_opened("nobody");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().status, 404);
  EXPECT_EQ(store().session_closed(*second, "").error().status, 400);
}

TEST_P(StoreTest, OldSessionsArePrunedAndOpenOnesKept) {
  add_cluster("c1");
  enrol("n1", "c1");
  auto old_session = store().session_opened("n1");
  now_ += 10;
  ASSERT_TRUE(ok(store().session_closed(*old_session, "closed")));
  now_ += 1000;
  auto open_session = store().session_opened("n1");
  ASSERT_TRUE(open_session.ok());
  EXPECT_EQ(ok(store().prune_sessions(kStart + 11)), 1);
  EXPECT_EQ(ok(store().prune_sessions(now_ + 100)), 0);  // the open one stays
  EXPECT_TRUE(ok(store().session_closed(*open_session, "closed")));
}

}  // namespace
}  // namespace quorum::relay
