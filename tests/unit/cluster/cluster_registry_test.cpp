#include "cluster/cluster_registry.h"

#include <gtest/gtest.h>

#include "registry_test_support.h"

namespace quorum::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using testing::status_of;
using testing::t0;
using testing::timing;

const PeerRecord* record(const ClusterRegistry& r, const std::string& id) {
  static thread_local std::vector<PeerRecord> snap;
  snap = r.snapshot();
  for (const auto& p : snap) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

// The handle of node `id`'s record.
RecordId handle(const ClusterRegistry& r, const std::string& id) {
  return record(r, id)->handle;
}

const LanPath& lan(const PeerPath& path) {
  return std::get<LanPath>(path);
}

// Where node `id` is reached (its first path's address).
std::string address_of(const ClusterRegistry& r, const std::string& id) {
  auto reach = r.reach(id);
  return reach && !reach->paths.empty() ? lan(reach->paths.front()).address : std::string();
}

TEST(ClusterRegistry, AnAnnouncedNodeIsDueForAHeartbeatAtOnceAndReachableWhenItAnswers) {
  ClusterRegistry r("self", timing());
  EXPECT_TRUE(r.announced("b", "bee", "0.1.0", "10.0.0.2", 32768, t0));
  EXPECT_EQ(record(r, "b")->state, PeerState::kPending);
  EXPECT_TRUE(r.holders("m").empty()) << "a pending node is not routed to";
  auto due = r.take_due(t0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_FALSE(r.announced("b", "bee", "0.1.0", "10.0.0.2", 32768, t0)) << "its heartbeat is running already";
  EXPECT_EQ(lan(due[0].path).address, "10.0.0.2");
  EXPECT_EQ(lan(due[0].path).port, 32768);
  EXPECT_FALSE(lan(due[0].path).configured);
  EXPECT_EQ(due[0].expected_id, "b");
  EXPECT_EQ(due[0].to, "b");
  EXPECT_TRUE(r.take_due(t0).empty()) << "a running heartbeat is not handed out twice";
  auto done = r.heartbeat_done(due[0].record, status_of("b", {{"m", true}}), t0);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->before, PeerState::kPending);
  EXPECT_EQ(done->after, PeerState::kReachable);
  auto holders = r.holders("m");
  ASSERT_EQ(holders.size(), 1u);
  EXPECT_TRUE(holders[0].loaded);
  EXPECT_EQ(holders[0].id, "b");
  EXPECT_EQ(address_of(r, "b"), "10.0.0.2");
  EXPECT_EQ(*r.next_due(), t0 + seconds(2));
  EXPECT_FALSE(r.announced("b", "bee", "0.1.0", "10.6.6.6", 32768, t0)) << "reachable: nothing due early";
  EXPECT_EQ(address_of(r, "b"), "10.0.0.2") << "mDNS cannot move a reachable node (it is not signed)";
  EXPECT_EQ(r.reach("b")->paths.size(), 1u);
}

TEST(ClusterRegistry, AnUnreachableNodeTakesItsAnnouncedAddressToBeCheckedByAHeartbeat) {
  ClusterRegistry r("self", timing());
  r.announced("b", "bee", "", "10.0.0.2", 32768, t0);
  for (int i = 0; i < 3; ++i) {
    auto now = r.next_due().value();
    r.take_due(now);
    r.heartbeat_failed(handle(r, "b"), "refused", now);
  }
  ASSERT_EQ(record(r, "b")->state, PeerState::kUnreachable);
  EXPECT_TRUE(r.announced("b", "bee", "", "10.0.0.7", 32768, t0 + seconds(3)));
  auto due = r.take_due(t0 + seconds(3));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(lan(due[0].path).address, "10.0.0.7");
  EXPECT_TRUE(r.holders("m").empty()) << "not routed to before it answers there";
}

TEST(ClusterRegistry, ItsOwnAnnouncementIsIgnored) {
  ClusterRegistry r("self", timing());
  EXPECT_FALSE(r.announced("self", "me", "0.1.0", "10.0.0.1", 32768, t0));
  EXPECT_TRUE(r.snapshot().empty());
}

TEST(ClusterRegistry, FailedHeartbeatsBackOffThenMarkUnreachableAndAnAnswerBringsItBack) {
  ClusterRegistry r("self", timing());
  r.announced("b", "bee", "", "10.0.0.2", 32768, t0);
  const RecordId b = handle(r, "b");
  r.take_due(t0);
  r.heartbeat_done(b, status_of("b", {{"m", false}}), t0);
  auto now = t0 + seconds(2);
  ASSERT_EQ(r.take_due(now).size(), 1u);
  auto t = r.heartbeat_failed(b, "connection refused", now);
  EXPECT_EQ(t->after, PeerState::kReachable) << "one miss is a blip";
  EXPECT_EQ(*r.next_due(), now + milliseconds(250));
  now += milliseconds(250);
  r.take_due(now);
  r.heartbeat_failed(b, "connection refused", now);
  EXPECT_EQ(*r.next_due(), now + milliseconds(500));
  now += milliseconds(500);
  r.take_due(now);
  t = r.heartbeat_failed(b, "connection refused", now);
  EXPECT_EQ(t->before, PeerState::kReachable);
  EXPECT_EQ(t->after, PeerState::kUnreachable);
  EXPECT_TRUE(r.holders("m").empty()) << "unreachable nodes are not routed to";
  EXPECT_EQ(r.unreachable_holders("m"), std::vector<std::string>{"name-b"});
  EXPECT_EQ(*r.next_due(), now + seconds(2));
  // Further failures back off up to max_backoff.
  for (int i = 0; i < 6; ++i) {
    now = *r.next_due();
    r.take_due(now);
    r.heartbeat_failed(b, "timeout", now);
  }
  EXPECT_EQ(*r.next_due(), now + seconds(10));
  now = *r.next_due();
  r.take_due(now);
  auto back = r.heartbeat_done(b, status_of("b", {{"m", false}}), now);
  EXPECT_EQ(back->before, PeerState::kUnreachable);
  EXPECT_EQ(r.holders("m").size(), 1u);
  EXPECT_EQ(record(r, "b")->failures, 0);
}

TEST(ClusterRegistry, ASilentNodeIsPrunedAfterTheWindowButAStaticPeerStays) {
  ClusterRegistry r("self", timing());
  r.announced("b", "bee", "", "10.0.0.2", 32768, t0);
  r.add_static("10.0.0.9", 4000, t0);
  for (const auto& target : r.take_due(t0)) r.heartbeat_failed(target.record, "refused", t0);
  EXPECT_TRUE(r.prune(t0 + seconds(299)).empty());
  auto gone = r.prune(t0 + seconds(301));
  EXPECT_EQ(gone, std::vector<std::string>{"bee"});
  ASSERT_EQ(r.snapshot().size(), 1u);
  EXPECT_TRUE(r.snapshot()[0].configured());
}

TEST(ClusterRegistry, AReachableNodeIsNeverPruned) {
  ClusterRegistry r("self", timing());
  r.announced("b", "bee", "", "10.0.0.2", 32768, t0);
  r.take_due(t0);
  r.heartbeat_done(handle(r, "b"), status_of("b"), t0);
  EXPECT_TRUE(r.prune(t0 + seconds(3600)).empty());
}

TEST(ClusterRegistry, AGoodbyeFromTheNodesAddressRemovesItAtOnce) {
  ClusterRegistry r("self", timing());
  r.announced("b", "bee", "", "10.0.0.2", 32768, t0);
  EXPECT_EQ(r.goodbye("b", "10.0.0.2", t0), GoodbyeResult::kRemoved);
  EXPECT_TRUE(r.snapshot().empty());
  EXPECT_EQ(r.goodbye("b", "10.0.0.2", t0), GoodbyeResult::kUnknown);
}

TEST(ClusterRegistry, AGoodbyeFromElsewhereOnlyMakesAHeartbeatDue) {
  ClusterRegistry r("self", timing());
  r.announced("b", "bee", "", "10.0.0.2", 32768, t0);
  r.take_due(t0);
  r.heartbeat_done(handle(r, "b"), status_of("b", {{"m", true}}), t0);
  EXPECT_EQ(r.goodbye("b", "10.6.6.6", t0 + seconds(1)), GoodbyeResult::kCheck);
  EXPECT_EQ(r.holders("m").size(), 1u) << "still routed to until a heartbeat fails";
  EXPECT_EQ(*r.next_due(), t0 + seconds(1));
}

TEST(ClusterRegistry, AStaticPeerTakesTheIdItAnswersWithAndReplacesTheMdnsRecord) {
  ClusterRegistry r("self", timing());
  r.announced("b", "bee", "", "10.0.0.2", 32768, t0);
  r.add_static("10.0.0.2", 32768, t0);
  auto due = r.take_due(t0);
  ASSERT_EQ(due.size(), 2u);
  const HeartbeatTarget& mdns = lan(due[0].path).configured ? due[1] : due[0];
  const HeartbeatTarget& peer = lan(due[0].path).configured ? due[0] : due[1];
  EXPECT_EQ(mdns.expected_id, "b");
  EXPECT_EQ(peer.expected_id, "") << "a --peer is whoever answers there";
  EXPECT_EQ(peer.to, "");
  auto done = r.heartbeat_done(peer.record, status_of("b"), t0);
  ASSERT_TRUE(done.ok());
  auto snap = r.snapshot();
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].id, "b");
  EXPECT_EQ(snap[0].handle, peer.record);
  EXPECT_TRUE(snap[0].configured());
  // The mDNS record's heartbeat, still running, finds nothing to update and does no harm.
  EXPECT_FALSE(r.heartbeat_failed(mdns.record, "late", t0));
  r.heartbeat_done(mdns.record, status_of("b", {{"m", true}}), t0);
  EXPECT_EQ(r.snapshot().size(), 1u);
  EXPECT_TRUE(r.holders("m").empty()) << "an answer for a record that is gone is not taken";
  EXPECT_EQ(r.snapshot()[0].state, PeerState::kReachable);
  EXPECT_EQ(r.snapshot()[0].failures, 0);
}

TEST(ClusterRegistry, AStaticPeerIsDialledAtTheGivenPortAndFollowsWhoeverAnswersThere) {
  ClusterRegistry r("self", timing());
  r.add_static("192.168.1.9", 40000, t0);  // a port forward to the node's 32768
  const RecordId peer = r.take_due(t0).at(0).record;
  ASSERT_TRUE(r.heartbeat_done(peer, status_of("b"), t0).ok());
  auto due = r.take_due(t0 + seconds(2));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record, peer);
  EXPECT_EQ(lan(due[0].path).port, 40000) << "not the port the peer reports for itself";
  EXPECT_EQ(lan(due[0].path).address, "192.168.1.9");
  EXPECT_EQ(due[0].to, "b") << "identified: heartbeats are addressed to it";
  // The machine was reinstalled: another node of the cluster answers there now, and refuses a heartbeat
  // addressed to b. The next one asks who is there first.
  r.heartbeat_failed(peer, "HTTP 401: The request is addressed to another node.", t0 + seconds(2));
  due = r.take_due(t0 + seconds(3));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].to, "") << "whoever answers there";
  ASSERT_TRUE(r.heartbeat_done(peer, status_of("c", {{"m", true}}), t0 + seconds(3)).ok());
  ASSERT_EQ(r.snapshot().size(), 1u);
  EXPECT_EQ(r.snapshot()[0].id, "c");
  EXPECT_EQ(r.holders("m").size(), 1u);
}

TEST(ClusterRegistry, ACallerNotReachableNowIsCheckedAtTheAddressItCalledFrom) {
  ClusterRegistry r("self", timing());
  r.called_by(status_of("b"), "10.0.0.2", t0);
  r.take_due(t0);
  for (int i = 0; i < 3; ++i) r.heartbeat_failed(handle(r, "b"), "refused", t0);
  EXPECT_TRUE(r.called_by(status_of("b"), "10.0.0.8", t0 + seconds(1)));
  EXPECT_EQ(lan(r.take_due(t0 + seconds(1)).at(0).path).address, "10.0.0.8");
}

TEST(ClusterRegistry, APeerNamingThisNodeIsDropped) {
  ClusterRegistry r("self", timing());
  r.add_static("127.0.0.1", 32768, t0);
  EXPECT_FALSE(r.heartbeat_done(r.take_due(t0).at(0).record, status_of("self"), t0).ok());
  EXPECT_TRUE(r.snapshot().empty());
}

TEST(ClusterRegistry, AnAnswerFromAnotherNodeThanExpectedIsAFailure) {
  ClusterRegistry r("self", timing());
  r.announced("b", "bee", "", "10.0.0.2", 32768, t0);
  r.take_due(t0);
  EXPECT_FALSE(r.heartbeat_done(handle(r, "b"), status_of("mallory", {{"m", true}}), t0).ok());
  EXPECT_TRUE(r.holders("m").empty());
  EXPECT_EQ(record(r, "b")->failures, 1);
}

TEST(ClusterRegistry, ACallerUnknownOrUnreachableIsDueForAHeartbeatAtOnce) {
  ClusterRegistry r("self", timing());
  EXPECT_TRUE(r.called_by(status_of("b"), "10.0.0.2", t0));
  EXPECT_EQ(record(r, "b")->lan_path()->address, "10.0.0.2");
  EXPECT_EQ(record(r, "b")->state, PeerState::kPending) << "reachable only once our own heartbeat answers";
  r.take_due(t0);
  r.heartbeat_done(handle(r, "b"), status_of("b"), t0);
  EXPECT_FALSE(r.called_by(status_of("b", {{"m", true}}), "10.0.0.2", t0 + seconds(1)));
  EXPECT_EQ(r.holders("m").size(), 1u) << "a reachable caller's news are taken";
  EXPECT_FALSE(r.called_by(status_of("self"), "10.0.0.1", t0));
}

TEST(ClusterRegistry, InFlightIsTheLargerOfReportedAndForwarded) {
  ClusterRegistry r("self", timing());
  r.announced("b", "bee", "", "10.0.0.2", 32768, t0);
  r.take_due(t0);
  r.heartbeat_done(handle(r, "b"), status_of("b", {{"m", true}}, 1, 4), t0);
  EXPECT_EQ(r.holders("m")[0].in_flight, 1);
  r.forwarding("b", +1);
  r.forwarding("b", +1);
  r.forwarding("b", +1);
  EXPECT_EQ(r.holders("m")[0].in_flight, 3);
  r.forwarding("b", -1);
  r.forwarding("b", -1);
  r.forwarding("b", -1);
  r.forwarding("b", -1);
  EXPECT_EQ(r.holders("m")[0].in_flight, 1) << "never below zero";
}

TEST(ClusterRegistry, AStaticPeerKeepsItsGivenPathWhateverItReportsOrMdnsSays) {
  ClusterRegistry r("self", timing());
  r.add_static("192.168.1.9", 40000, t0);
  const RecordId peer = r.take_due(t0).at(0).record;
  ASSERT_TRUE(r.heartbeat_done(peer, status_of("b", {{"m", true}}), t0).ok());
  // It calls us (reporting its own port 32768) and mDNS announces it elsewhere: its path stays as given.
  EXPECT_FALSE(r.called_by(status_of("b", {{"m", true}}), "10.0.0.9", t0 + seconds(1)));
  EXPECT_FALSE(r.announced("b", "bee", "", "10.0.0.5", 32768, t0 + seconds(1)));
  auto reach = r.reach("b");
  ASSERT_TRUE(reach);
  ASSERT_EQ(reach->paths.size(), 1u);
  EXPECT_EQ(lan(reach->paths[0]), (LanPath{"192.168.1.9", 40000, true}));
  EXPECT_EQ(lan(r.take_due(t0 + seconds(2)).at(0).path).port, 40000);
  // A goodbye only checks it, even from its own address (here its heartbeat is running already).
  EXPECT_EQ(r.goodbye("b", "192.168.1.9", t0 + seconds(2)), GoodbyeResult::kChecking);
  EXPECT_EQ(r.snapshot().size(), 1u);
}

TEST(ClusterRegistry, OnlyAKnownNodeWithAPathCanBeReached) {
  ClusterRegistry r("self", timing());
  EXPECT_FALSE(r.reach("b"));
  r.add_static("10.0.0.9", 4000, t0);
  EXPECT_FALSE(r.reach("")) << "a --peer not identified yet is reached by no node id";
  r.announced("b", "bee", "", "", 32768, t0);  // no address heard: nowhere to send a heartbeat
  EXPECT_FALSE(r.reach("b"));
  auto due = r.take_due(t0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].expected_id, "");
  EXPECT_FALSE(r.next_due()) << "the --peer's heartbeat is running, and b has nowhere to be sent";
  r.announced("b", "bee", "", "10.0.0.2", 32768, t0 + seconds(1));
  ASSERT_TRUE(r.reach("b"));
  EXPECT_EQ(r.reach("b")->name, "bee");
  EXPECT_EQ(address_of(r, "b"), "10.0.0.2");
}

}  // namespace
}  // namespace quorum::cluster
