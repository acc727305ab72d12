// ClusterNode::watch_peer and peer_backend, driven through its registry (no network: start() is never
// called).
#include "node/cluster_node.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

namespace quorum::node {
namespace {

using cluster::RegistryClock;
using std::chrono::seconds;

const RegistryClock::time_point t0{seconds(1000)};

cluster::NodeStatus status_of(const std::string& id) {
  cluster::NodeStatus s;
  s.id = id;
  s.name = "name-" + id;
  s.port = 32768;
  s.models = {{"m", true}};
  return s;
}

struct ClusterNodeTest : ::testing::Test {
  boost::asio::io_context io;
  std::unique_ptr<ClusterNode> node = std::make_unique<ClusterNode>(
      io.get_executor(), cluster::NodeIdentity{"self", "me"}, cluster::Membership{"cluster", "secret"},
      ClusterConfig{}, [] { return cluster::NodeStatus{}; });
  cluster::ClusterRegistry& registry() { return node->registry(); }
  int lost = 0;

  Subscription watch(const std::string& id) {
    return node->watch_peer(id, io.get_executor(), [this] { ++lost; });
  }
  // Runs what was posted; returns how many times on_lost ran so far.
  int run() {
    io.restart();
    io.run();
    return lost;
  }
  // Node `id` found by mDNS at `address` and answering. Returns its record.
  cluster::RecordId reachable(const std::string& id, const std::string& address) {
    registry().announced(id, "", "", address, 32768, t0);
    for (const auto& target : registry().take_due(t0)) {
      if (target.expected_id != id) continue;
      EXPECT_TRUE(registry().heartbeat_done(target.record, status_of(id), t0).ok());
      return target.record;
    }
    ADD_FAILURE() << "no heartbeat due to " << id;
    return 0;
  }
  void fail(cluster::RecordId record, int times) {
    for (int i = 0; i < times; ++i) registry().heartbeat_failed(record, "refused", t0);
  }
};

TEST_F(ClusterNodeTest, APeerNotReachableWhenWatchedIsLostAtOnce) {
  auto unknown = watch("b");
  EXPECT_EQ(run(), 1);
  registry().announced("b", "bee", "", "10.0.0.2", 32768, t0);
  auto pending = watch("b");
  EXPECT_EQ(run(), 2) << "pending is not reachable";
}

TEST_F(ClusterNodeTest, APeerBecomingUnreachableIsLostOnceOnTheWatchersExecutor) {
  auto b = reachable("b", "10.0.0.2");
  reachable("c", "10.0.0.3");
  auto watch_b = watch("b");
  auto watch_c = watch("c");
  EXPECT_EQ(run(), 0);
  fail(b, 2);
  EXPECT_EQ(run(), 0) << "two misses are a blip";
  fail(b, 1);
  EXPECT_EQ(lost, 0) << "posted, not called on the registry's thread";
  EXPECT_EQ(run(), 1);
  fail(b, 5);
  registry().prune(t0 + seconds(3600));
  EXPECT_EQ(run(), 1) << "once";
}

TEST_F(ClusterNodeTest, APeerRemovedIsLost) {
  reachable("b", "10.0.0.2");
  auto w = watch("b");
  EXPECT_EQ(registry().goodbye("b", "10.0.0.2", t0), cluster::GoodbyeResult::kRemoved);
  EXPECT_EQ(run(), 1);
}

TEST_F(ClusterNodeTest, AWatchEndedHearsNothing) {
  auto b = reachable("b", "10.0.0.2");
  auto w = watch("b");
  w.reset();
  fail(b, 3);
  EXPECT_EQ(run(), 0);
}

TEST_F(ClusterNodeTest, APeerTakingOverTheNodesRecordIsNotALoss) {
  registry().add_static("10.0.0.2", 32768, t0);
  auto targets = registry().take_due(t0);
  ASSERT_EQ(targets.size(), 1u);
  reachable("b", "10.0.0.2");
  auto w = watch("b");
  ASSERT_TRUE(registry().heartbeat_done(targets[0].record, status_of("b"), t0).ok());
  EXPECT_TRUE(registry().is_reachable("b"));
  EXPECT_EQ(run(), 0);
  // The machine at that address is another node now: b is gone from there.
  registry().take_due(t0 + seconds(2));
  ASSERT_TRUE(registry().heartbeat_done(targets[0].record, status_of("c"), t0 + seconds(2)).ok());
  EXPECT_EQ(run(), 1);
}

TEST_F(ClusterNodeTest, AWatchMayOutliveTheClusterNode) {
  reachable("b", "10.0.0.2");
  auto w = watch("b");
  node.reset();
  w.reset();
  EXPECT_EQ(run(), 0);
}

TEST_F(ClusterNodeTest, APeerBackendIsMadeForANodeWithAPath) {
  EXPECT_EQ(node->peer_backend("b"), nullptr) << "unknown";
  registry().announced("b", "bee", "", "", 32768, t0);
  EXPECT_EQ(node->peer_backend("b"), nullptr) << "no path";
  auto b = reachable("b", "10.0.0.2");
  auto backend = node->peer_backend("b");
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->name(), "name-b");
  EXPECT_EQ(node->peer_backend("b"), backend) << "one client per node while its path stays";
  // It moves (announced while unreachable): a client for the new address.
  fail(b, 3);
  registry().announced("b", "", "", "10.0.0.7", 32768, t0 + seconds(1));
  auto moved = node->peer_backend("b");
  ASSERT_NE(moved, nullptr);
  EXPECT_NE(moved, backend);
}

}  // namespace
}  // namespace quorum::node
