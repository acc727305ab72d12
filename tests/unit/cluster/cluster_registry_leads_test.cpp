// What made-up mDNS announcements and forged goodbyes may cost the registry (cluster_registry.h, "Leads"):
// bounded records, rate-limited heartbeats to addresses no signed answer came from, and one heartbeat per gap
// for a flood of packets about a known node.
#include <gtest/gtest.h>

#include "cluster/cluster_registry.h"
#include "registry_test_support.h"

namespace quorum::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using testing::status_of;
using testing::t0;
using testing::timing;

LeadLimits small_limits() {
  LeadLimits l;
  l.max_unverified = 4;
  l.unverified_heartbeats_per_second = 2;
  l.unverified_heartbeat_burst = 3;
  l.max_unverified_in_flight = 2;
  return l;
}

std::string id_of(int i) {
  return "forged-" + std::to_string(i);
}

// `n` announcements of made-up nodes at `now`, each at its own address.
void forge(ClusterRegistry& r, int from, int n, RegistryClock::time_point now) {
  for (int i = from; i < from + n; ++i) {
    r.announced(id_of(i), "x", "", "10.9.0." + std::to_string(i % 250), 32768, now);
  }
}

bool knows(const ClusterRegistry& r, const std::string& id) {
  for (const auto& p : r.snapshot()) {
    if (p.id == id) return true;
  }
  return false;
}

RecordId handle_of(const ClusterRegistry& r, const std::string& id) {
  for (const auto& p : r.snapshot()) {
    if (p.id == id) return p.handle;
  }
  return 0;
}

// A node verified by answering a heartbeat.
void verify(ClusterRegistry& r, const std::string& id, RegistryClock::time_point now) {
  r.announced(id, id, "", "10.0.0.2", 32768, now);
  for (const auto& t : r.take_due(now)) {
    if (t.expected_id == id) {
      ASSERT_TRUE(r.heartbeat_done(t.record, status_of(id, {{"m", true}}), now).ok());
    } else {
      r.heartbeat_failed(t.record, "refused", now);
    }
  }
  ASSERT_TRUE(r.is_reachable(id));
}

TEST(ClusterRegistryLeads, AtMostMaxUnverifiedLeadsAreKeptTheFirstHeardIsDisplaced) {
  ClusterRegistry r("self", timing(), small_limits());
  std::vector<RegistryChange> removed;
  auto subscription = r.subscribe([&](const RegistryChange& c) {
    if (c.kind == ChangeKind::kRemoved) removed.push_back(c);
  });
  for (int i = 0; i < 1000; ++i) forge(r, i, 1, t0 + milliseconds(i));
  EXPECT_EQ(r.snapshot().size(), 4u) << "10^3 made-up nodes cost four records";
  EXPECT_TRUE(knows(r, id_of(999)));
  EXPECT_FALSE(knows(r, id_of(0)));
  EXPECT_EQ(r.displaced_leads(), 996u);
  ASSERT_EQ(removed.size(), 996u);
  EXPECT_EQ(removed.front().removal, RemovalReason::kDisplaced);
  EXPECT_EQ(removed.front().node_id, id_of(0));
}

TEST(ClusterRegistryLeads, VerifiedNodesAndStaticPeersAreNeverDisplaced) {
  ClusterRegistry r("self", timing(), small_limits());
  verify(r, "real", t0);
  r.add_static("192.168.1.9", 40000, t0);
  r.called_by(status_of("caller"), "10.0.0.3", t0);  // proved the secret: not a lead either
  forge(r, 0, 100, t0 + seconds(1));
  EXPECT_TRUE(knows(r, "real"));
  EXPECT_TRUE(knows(r, "caller"));
  EXPECT_EQ(r.snapshot().size(), 3u + 4u);
  EXPECT_EQ(r.holders("m").size(), 1u) << "the real peer is still routed to";
}

TEST(ClusterRegistryLeads, ALeadWhoseHeartbeatRunsIsDisplacedLast) {
  ClusterRegistry r("self", timing(), small_limits());
  forge(r, 0, 4, t0);
  auto running = r.take_due(t0);
  ASSERT_EQ(running.size(), 2u) << "two in flight at most";
  forge(r, 4, 2, t0 + seconds(1));
  forge(r, 6, 10, t0 + seconds(2));
  for (const auto& t : running) EXPECT_TRUE(knows(r, t.expected_id)) << t.expected_id;
  EXPECT_EQ(r.snapshot().size(), 4u);
}

TEST(ClusterRegistryLeads, HeartbeatsToUnverifiedAddressesAreRateLimitedAndCappedInFlight) {
  LeadLimits l = small_limits();
  l.max_unverified = 100;
  l.max_unverified_in_flight = 100;
  ClusterRegistry r("self", timing(), l);
  forge(r, 0, 100, t0);
  EXPECT_EQ(r.take_due(t0).size(), 3u) << "the burst";
  EXPECT_TRUE(r.take_due(t0 + milliseconds(100)).empty());
  // The heartbeat loop sleeps until the next token.
  EXPECT_GE(*r.next_due(), t0 + milliseconds(499));
  EXPECT_LE(*r.next_due(), t0 + milliseconds(501));
  EXPECT_EQ(r.take_due(t0 + milliseconds(501)).size(), 1u);
  // Over ten seconds: the burst plus two a second, not 100.
  size_t sent = 4;
  for (int ms = 600; ms <= 10'000; ms += 100) sent += r.take_due(t0 + milliseconds(ms)).size();
  EXPECT_NEAR(static_cast<double>(sent), 3 + 2 * 10, 1);
}

TEST(ClusterRegistryLeads, AtMostMaxInFlightHeartbeatsToUnverifiedAddressesAtOnce) {
  LeadLimits l = small_limits();
  l.unverified_heartbeats_per_second = 1000;
  l.unverified_heartbeat_burst = 1000;
  ClusterRegistry r("self", timing(), l);
  forge(r, 0, 4, t0);
  auto first = r.take_due(t0);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_TRUE(r.take_due(t0 + seconds(1)).empty()) << "two still in flight (a blackholed address)";
  r.heartbeat_failed(first[0].record, "timeout", t0 + seconds(2));
  EXPECT_EQ(r.take_due(t0 + seconds(2)).size(), 1u) << "one ended: one more may start";
}

TEST(ClusterRegistryLeads, AVerifiedPeersHeartbeatsAreNeverHeldBack) {
  LeadLimits l = small_limits();
  l.max_unverified = 100;
  ClusterRegistry r("self", timing(), l);
  verify(r, "real", t0);
  r.add_static("192.168.1.9", 40000, t0);
  forge(r, 0, 100, t0 + seconds(1));
  auto later = t0 + seconds(3);
  size_t real = 0, configured = 0;
  for (const auto& t : r.take_due(later)) {
    real += t.expected_id == "real";
    configured += std::get<LanPath>(t.path).configured;
    if (t.expected_id == "real") EXPECT_FALSE(t.unverified);
  }
  EXPECT_EQ(real, 1u);
  EXPECT_EQ(configured, 1u);
}

TEST(ClusterRegistryLeads, AnAddressMovedByMdnsIsUnverifiedAgain) {
  ClusterRegistry r("self", timing(), small_limits());
  verify(r, "b", t0);
  // Unreachable (its machine slept); an announcement names another address.
  auto now = t0 + seconds(2);
  for (int i = 0; i < 3; ++i) {
    auto due = r.take_due(now);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_FALSE(due[0].unverified);
    r.heartbeat_failed(due[0].record, "timeout", now);
    now = *r.next_due();
  }
  r.announced("b", "b", "", "10.6.6.6", 32768, now);
  auto due = r.take_due(now);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_TRUE(due[0].unverified) << "no signed answer came from 10.6.6.6 yet";
  ASSERT_TRUE(r.heartbeat_done(due[0].record, status_of("b"), now).ok());
  EXPECT_FALSE(r.take_due(now + seconds(5)).at(0).unverified) << "answered there: verified";
}

TEST(ClusterRegistryLeads, AFloodOfForgedGoodbyesCostsOneHeartbeatPerGap) {
  ClusterRegistry r("self", timing(), small_limits());
  verify(r, "b", t0);
  size_t heartbeats = 0, checks = 0;
  // 10^4 goodbyes a second from elsewhere, for 3 s; every heartbeat answers at once.
  for (int ms = 0; ms < 3000; ++ms) {
    auto now = t0 + seconds(1) + milliseconds(ms);
    for (int i = 0; i < 10; ++i) {
      auto result = r.goodbye("b", "10.6.6.6", now);
      EXPECT_NE(result, GoodbyeResult::kRemoved);
      checks += result == GoodbyeResult::kCheck;
    }
    for (const auto& t : r.take_due(now)) {
      ++heartbeats;
      ASSERT_TRUE(r.heartbeat_done(t.record, status_of("b", {{"m", true}}), now).ok());
    }
  }
  EXPECT_EQ(heartbeats, 3u) << "one a second (the gap), as many as without the goodbyes plus one";
  EXPECT_EQ(checks, 4u)
      << "what the node logs: one line per check (the last due after the 3 s), not per packet";

  EXPECT_TRUE(r.is_reachable("b"));
}

TEST(ClusterRegistryLeads, AFloodOfAnnouncementsOfAnUnreachableNodeCostsOneHeartbeatPerGap) {
  LeadLimits l = small_limits();
  l.unverified_heartbeats_per_second = 1000;
  l.unverified_heartbeat_burst = 1000;
  ClusterRegistry r("self", timing(), l);
  r.announced("b", "b", "", "10.0.0.2", 32768, t0);
  size_t heartbeats = 0;
  for (int ms = 0; ms < 3000; ++ms) {
    auto now = t0 + milliseconds(ms);
    for (int i = 0; i < 10; ++i) r.announced("b", "b", "", "10.0.0.2", 32768, now);
    for (const auto& t : r.take_due(now)) {
      ++heartbeats;
      r.heartbeat_failed(t.record, "refused", now);  // refused at once: the next could start at once
    }
  }
  // The retries it gets anyway (at once, 250 ms, 500 ms later), then one a second: not one per packet.
  EXPECT_LE(heartbeats, 5u);
}

TEST(ClusterRegistryLeads, ANodeThatCallsIsReachedWhereItCalledFromAtThePortItSigned) {
  ClusterRegistry r("self", timing(), small_limits());
  // A forged announcement of a real node's id, at a made-up address and port, before the node calls.
  r.announced("b", "b", "", "10.6.6.6", 6666, t0);
  r.called_by(status_of("b"), "10.0.0.2", t0 + seconds(1));
  auto due = r.take_due(*r.next_due());
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(std::get<LanPath>(due[0].path), (LanPath{"10.0.0.2", 32768, false}));
  EXPECT_FALSE(due[0].unverified) << "it proved the secret from there";
}

TEST(ClusterRegistryLeads, AStaticPeerIsAskedWhoItIsUntilItsIdIsConfirmed) {
  ClusterRegistry r("self", timing(), small_limits());
  r.add_static("192.168.1.9", 40000, t0);
  auto due = r.take_due(t0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].to, "") << "not identified: ask first";
  EXPECT_FALSE(due[0].unverified) << "a --peer is the user's word";
  ASSERT_TRUE(r.heartbeat_done(due[0].record, status_of("b"), t0).ok());
  EXPECT_EQ(r.take_due(t0 + seconds(2)).at(0).to, "b");
  r.heartbeat_failed(handle_of(r, "b"), "timeout", t0 + seconds(2));
  EXPECT_EQ(r.take_due(t0 + seconds(3)).at(0).to, "") << "after a failure: whoever answers there now";
}

}  // namespace
}  // namespace quorum::cluster
