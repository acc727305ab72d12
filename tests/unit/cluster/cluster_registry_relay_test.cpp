// The registry's relay paths: nodes the relay says are connected get a relay path (after a LAN path), are
// heartbeated through it, are reached by the path that answered last, fall back to the other path when one
// fails, and go when the relay no longer carries them.
#include <gtest/gtest.h>

#include "cluster/cluster_registry.h"
#include "registry_test_support.h"

namespace quorum::cluster {
namespace {

using std::chrono::seconds;
using testing::status_of;
using testing::t0;
using testing::timing;

std::optional<PeerRecord> record(const ClusterRegistry& r, const std::string& id) {
  for (const auto& p : r.snapshot()) {
    if (p.id == id) return p;
  }
  return std::nullopt;
}

bool is_relay(const PeerPath& path) {
  return std::holds_alternative<RelayPath>(path);
}

TEST(ClusterRegistryRelay, ANodeTheRelayNamesIsHeartbeatedThroughItAndRoutedTo) {
  ClusterRegistry r("self", timing());
  r.relay_member("b", "bee", t0);
  r.relay_member("self", "me", t0);  // this node itself, in the relay's list: ignored
  ASSERT_TRUE(record(r, "b"));
  EXPECT_FALSE(record(r, "self"));
  EXPECT_EQ(record(r, "b")->status.name, "bee");
  auto due = r.take_due(t0);
  ASSERT_EQ(due.size(), 1u);
  ASSERT_TRUE(is_relay(due[0].path));
  EXPECT_EQ(std::get<RelayPath>(due[0].path).node_id, "b");
  EXPECT_EQ(due[0].to, "b");
  ASSERT_TRUE(r.heartbeat_done(due[0].record, status_of("b", {{"m", true}}), t0).ok());
  EXPECT_EQ(r.holders("m").size(), 1u);
  auto reach = r.reach("b");
  ASSERT_TRUE(reach);
  EXPECT_TRUE(is_relay(reach->paths.front()));
}

TEST(ClusterRegistryRelay, ALanPathComesFirstAndTheRelayTakesOverWhenItFails) {
  ClusterRegistry r("self", timing());
  r.announced("b", "bee", "0.1.0", "10.0.0.2", 32768, t0);
  r.relay_member("b", "bee", t0);
  auto p = record(r, "b");
  ASSERT_EQ(p->paths.size(), 2u);
  EXPECT_FALSE(is_relay(p->paths[0]));
  EXPECT_TRUE(is_relay(p->paths[1]));
  auto due = r.take_due(t0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_FALSE(is_relay(due[0].path)) << "the LAN first";
  ASSERT_TRUE(r.heartbeat_done(due[0].record, status_of("b"), t0).ok());
  EXPECT_FALSE(is_relay(r.reach("b")->paths.front()));
  // The LAN path stops answering: the next heartbeat goes through the relay, and once it answers there,
  // requests go that way too.
  auto t = t0 + seconds(2);
  due = r.take_due(t);
  ASSERT_EQ(due.size(), 1u);
  r.heartbeat_failed(due[0].record, "timed out", t);
  t = *r.next_due();
  due = r.take_due(t);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_TRUE(is_relay(due[0].path));
  ASSERT_TRUE(r.heartbeat_done(due[0].record, status_of("b"), t).ok());
  EXPECT_TRUE(is_relay(r.reach("b")->paths.front()));
  EXPECT_TRUE(r.is_reachable("b"));
}

TEST(ClusterRegistryRelay, ANodeKnownOnlyThroughTheRelayGoesWhenTheRelayNoLongerCarriesIt) {
  ClusterRegistry r("self", timing());
  r.relay_member("b", "bee", t0);
  r.relay_member("c", "sea", t0);
  r.announced("c", "sea", "0.1.0", "10.0.0.3", 32768, t0);
  std::vector<RegistryChange> changes;
  auto sub = r.subscribe([&](const RegistryChange& c) { changes.push_back(c); });
  r.relay_gone("b", t0);
  EXPECT_FALSE(record(r, "b"));
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes.back().removal, RemovalReason::kRelayGone);
  // The link went down: c keeps its LAN path, without the relay one.
  r.relay_gone("", t0);
  auto c = record(r, "c");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->paths.size(), 1u);
  EXPECT_FALSE(is_relay(c->paths[0]));
}

TEST(ClusterRegistryRelay, NamingANodeAgainAddsNoSecondPath) {
  ClusterRegistry r("self", timing());
  r.relay_member("b", "bee", t0);
  r.relay_member("b", "bee", t0);
  EXPECT_EQ(record(r, "b")->paths.size(), 1u);
}

}  // namespace
}  // namespace quorum::cluster
