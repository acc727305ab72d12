// ClusterRegistry::subscribe(): what changed, told after the lock is released, never for load alone.
#include <gtest/gtest.h>

#include <memory>

#include "cluster/cluster_registry.h"
#include "registry_test_support.h"

namespace quorum::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using testing::status_of;
using testing::t0;
using testing::timing;

// Records every change told.
struct Recorder {
  std::vector<RegistryChange> changes;
  Subscription subscription;
  explicit Recorder(ClusterRegistry& r)
      : subscription(r.subscribe([this](const RegistryChange& c) { changes.push_back(c); })) {}
  std::vector<ChangeKind> kinds() const {
    std::vector<ChangeKind> out;
    for (const auto& c : changes) out.push_back(c.kind);
    return out;
  }
  std::vector<ChangeKind> take_kinds() {
    auto out = kinds();
    changes.clear();
    return out;
  }
};

using K = ChangeKind;
using Kinds = std::vector<ChangeKind>;

// A node "b" found by mDNS and answering its first heartbeat. Returns its record.
RecordId reachable_b(ClusterRegistry& r, std::vector<ModelState> models = {{"m", true}}) {
  r.announced("b", "name-b", "0.1.0", "10.0.0.2", 32768, t0);
  for (const auto& target : r.take_due(t0)) {
    if (target.expected_id != "b") continue;
    EXPECT_TRUE(r.heartbeat_done(target.record, status_of("b", std::move(models)), t0).ok());
    return target.record;
  }
  ADD_FAILURE() << "no heartbeat due to b";
  return 0;
}

// Fails the heartbeats of `record` until it is unreachable.
void make_unreachable(ClusterRegistry& r, RecordId record, RegistryClock::time_point now) {
  for (int i = 0; i < r.timing().failures_to_unreachable; ++i) {
    r.take_due(now);
    r.heartbeat_failed(record, "refused", now);
  }
}

TEST(ClusterRegistryChanges, ANodeFoundByMdnsAppearsThenBecomesReachableWithItsModels) {
  ClusterRegistry r("self", timing());
  Recorder rec(r);
  EXPECT_TRUE(r.announced("b", "bee", "0.1.0", "10.0.0.2", 32768, t0));
  ASSERT_EQ(rec.kinds(), Kinds{K::kAppeared});
  const RegistryChange appeared = rec.changes[0];  // a copy: the list is cleared below
  EXPECT_EQ(appeared.node_id, "b");
  EXPECT_EQ(appeared.name, "bee");
  EXPECT_EQ(appeared.record.state, PeerState::kPending);
  ASSERT_EQ(appeared.record.paths.size(), 1u);
  EXPECT_EQ(std::get<LanPath>(appeared.record.paths[0]), (LanPath{"10.0.0.2", 32768, false}));
  rec.changes.clear();

  auto due = r.take_due(t0);
  EXPECT_TRUE(rec.changes.empty()) << "handing out a heartbeat is no change";
  ASSERT_TRUE(r.heartbeat_done(due.at(0).record, status_of("b", {{"m", true}}), t0).ok());
  // One answer, three things to tell: it is reachable, it has models, and its name is what it says.
  ASSERT_EQ(rec.kinds(), (Kinds{K::kReachable, K::kModelsChanged, K::kStatusChanged}));
  for (const auto& c : rec.changes) {
    EXPECT_EQ(c.node_id, "b");
    EXPECT_EQ(c.name, "name-b");
    EXPECT_EQ(c.record.state, PeerState::kReachable) << "the record after the change";
    EXPECT_EQ(c.record.status.models.size(), 1u);
    EXPECT_EQ(c.record.revision, rec.changes[0].record.revision) << "one operation, one revision";
    EXPECT_EQ(c.removal, RemovalReason::kNone);
    EXPECT_EQ(c.former_id, "");
  }
  EXPECT_GT(rec.changes[0].record.revision, appeared.record.revision);
  EXPECT_EQ(r.snapshot().at(0).revision, rec.changes[0].record.revision);
}

TEST(ClusterRegistryChanges, AHeartbeatThatOnlyMovesTheLoadTellsNothing) {
  ClusterRegistry r("self", timing());
  const RecordId b = reachable_b(r);
  Recorder rec(r);
  auto now = t0 + seconds(2);
  r.take_due(now);
  ASSERT_TRUE(r.heartbeat_done(b, status_of("b", {{"m", true}}, 3), now).ok());
  EXPECT_FALSE(r.called_by(status_of("b", {{"m", true}}, 1), "10.0.0.2", now));
  r.forwarding("b", +1);
  r.forwarding("b", -1);
  // One miss is a blip: no change either.
  now += seconds(2);
  r.take_due(now);
  r.heartbeat_failed(b, "timeout", now);
  now += milliseconds(250);
  r.take_due(now);
  ASSERT_TRUE(r.heartbeat_done(b, status_of("b", {{"m", true}}, 2), now).ok());
  EXPECT_TRUE(rec.changes.empty()) << to_string(rec.changes.at(0).kind);
}

TEST(ClusterRegistryChanges, ModelsChangeWhenTheirIdsOrLoadedStateDo) {
  ClusterRegistry r("self", timing());
  const RecordId b = reachable_b(r, {{"m", false}});
  Recorder rec(r);
  auto answer = [&](std::vector<ModelState> models, int step) {
    auto now = t0 + seconds(2 * step);
    r.take_due(now);
    ASSERT_TRUE(r.heartbeat_done(b, status_of("b", std::move(models)), now).ok());
  };
  answer({{"m", true}}, 1);  // loaded
  EXPECT_EQ(rec.take_kinds(), Kinds{K::kModelsChanged});
  answer({{"m", true}, {"n", false}}, 2);  // one more
  ASSERT_EQ(rec.kinds(), Kinds{K::kModelsChanged});
  EXPECT_EQ(rec.changes[0].record.status.models.size(), 2u);
  rec.changes.clear();
  answer({{"n", false}}, 3);  // one fewer
  EXPECT_EQ(rec.take_kinds(), Kinds{K::kModelsChanged});
  answer({{"n", false}}, 4);  // the same
  EXPECT_TRUE(rec.changes.empty());
  // A reachable node's news also come with the heartbeats it sends us.
  EXPECT_FALSE(r.called_by(status_of("b", {{"n", true}}), "10.0.0.2", t0 + seconds(9)));
  EXPECT_EQ(rec.take_kinds(), Kinds{K::kModelsChanged});
}

TEST(ClusterRegistryChanges, TheRestOfItsStatusChangingIsAStatusChange) {
  ClusterRegistry r("self", timing());
  const RecordId b = reachable_b(r);
  Recorder rec(r);
  int step = 0;
  auto answer = [&](NodeStatus status) {
    auto now = t0 + seconds(2 * ++step);
    r.take_due(now);
    ASSERT_TRUE(r.heartbeat_done(b, std::move(status), now).ok());
  };
  auto s = status_of("b", {{"m", true}});
  s.name = "renamed";
  answer(s);
  ASSERT_EQ(rec.kinds(), Kinds{K::kStatusChanged});
  EXPECT_EQ(rec.changes[0].name, "renamed");
  rec.changes.clear();
  s.version = "0.2.0";
  answer(s);
  EXPECT_EQ(rec.take_kinds(), Kinds{K::kStatusChanged});
  s.engines = {"llamacpp", "ollama"};
  answer(s);
  EXPECT_EQ(rec.take_kinds(), Kinds{K::kStatusChanged});
  s.capacity = 8;
  answer(s);
  ASSERT_EQ(rec.kinds(), Kinds{K::kStatusChanged});
  EXPECT_EQ(rec.changes[0].record.status.capacity, 8);
  rec.changes.clear();
  s.port = 40000;
  answer(s);
  ASSERT_EQ(rec.kinds(), Kinds{K::kStatusChanged});
  EXPECT_EQ(std::get<LanPath>(rec.changes[0].record.paths.at(0)).port, 40000)
      << "a found path follows the port the node reports";
  rec.changes.clear();
  s.in_flight = 7;
  answer(s);
  EXPECT_TRUE(rec.changes.empty());
}

TEST(ClusterRegistryChanges, ANodeBecomesUnreachableOnceAndReachableAgain) {
  ClusterRegistry r("self", timing());
  const RecordId b = reachable_b(r);
  Recorder rec(r);
  auto now = t0 + seconds(2);
  for (int i = 0; i < 2; ++i) {
    r.take_due(now);
    r.heartbeat_failed(b, "refused", now);
    now = *r.next_due();
  }
  EXPECT_TRUE(rec.changes.empty()) << "two misses are not yet unreachable";
  r.take_due(now);
  r.heartbeat_failed(b, "refused", now);
  ASSERT_EQ(rec.kinds(), Kinds{K::kUnreachable});
  EXPECT_EQ(rec.changes[0].node_id, "b");
  EXPECT_EQ(rec.changes[0].record.state, PeerState::kUnreachable);
  EXPECT_EQ(rec.changes[0].record.last_error, "refused");
  rec.changes.clear();
  for (int i = 0; i < 3; ++i) {
    now = *r.next_due();
    r.take_due(now);
    r.heartbeat_failed(b, "refused", now);
  }
  EXPECT_TRUE(rec.changes.empty()) << "told once";
  now = *r.next_due();
  r.take_due(now);
  ASSERT_TRUE(r.heartbeat_done(b, status_of("b", {{"m", true}}), now).ok());
  EXPECT_EQ(rec.take_kinds(), Kinds{K::kReachable}) << "same models, same status";
}

TEST(ClusterRegistryChanges, AnUnreachableNodeMovingIsAStatusChangeOfItsPath) {
  ClusterRegistry r("self", timing());
  const RecordId b = reachable_b(r);
  make_unreachable(r, b, t0 + seconds(2));
  Recorder rec(r);
  EXPECT_TRUE(r.announced("b", "name-b", "0.1.0", "10.0.0.7", 32768, t0 + seconds(3)));
  ASSERT_EQ(rec.kinds(), Kinds{K::kStatusChanged});
  EXPECT_EQ(std::get<LanPath>(rec.changes[0].record.paths.at(0)).address, "10.0.0.7");
  rec.changes.clear();
  EXPECT_TRUE(r.announced("b", "name-b", "0.1.0", "10.0.0.7", 32768, t0 + seconds(3))) << "still due";
  EXPECT_TRUE(rec.changes.empty()) << "the same announcement again changes nothing";
  r.called_by(status_of("b"), "10.0.0.8", t0 + seconds(4));
  ASSERT_EQ(rec.kinds(), Kinds{K::kStatusChanged});
  EXPECT_EQ(std::get<LanPath>(rec.changes[0].record.paths.at(0)).address, "10.0.0.8");
}

TEST(ClusterRegistryChanges, RemovalsSayWhy) {
  ClusterRegistry r("self", timing());
  Recorder rec(r);
  r.announced("b", "bee", "", "10.0.0.2", 32768, t0);
  r.announced("c", "sea", "", "10.0.0.3", 32768, t0);
  rec.changes.clear();

  EXPECT_EQ(r.goodbye("b", "10.6.6.6", t0), GoodbyeResult::kChecking) << "its first heartbeat is due already";
  EXPECT_TRUE(rec.changes.empty()) << "a goodbye from elsewhere only checks";
  EXPECT_EQ(r.goodbye("b", "10.0.0.2", t0), GoodbyeResult::kRemoved);
  ASSERT_EQ(rec.kinds(), Kinds{K::kRemoved});
  EXPECT_EQ(rec.changes[0].removal, RemovalReason::kGoodbye);
  EXPECT_EQ(rec.changes[0].node_id, "b");
  EXPECT_EQ(rec.changes[0].name, "bee");
  EXPECT_EQ(rec.changes[0].record.status.id, "b") << "the record as it was";
  rec.changes.clear();

  for (const auto& target : r.take_due(t0)) r.heartbeat_failed(target.record, "refused", t0);
  EXPECT_EQ(r.prune(t0 + seconds(301)), std::vector<std::string>{"sea"});
  ASSERT_EQ(rec.kinds(), Kinds{K::kRemoved});
  EXPECT_EQ(rec.changes[0].removal, RemovalReason::kPruned);
  EXPECT_EQ(rec.changes[0].node_id, "c");
  rec.changes.clear();

  r.add_static("127.0.0.1", 32768, t0);
  ASSERT_EQ(rec.kinds(), Kinds{K::kAppeared});
  rec.changes.clear();
  EXPECT_FALSE(r.heartbeat_done(r.take_due(t0).at(0).record, status_of("self"), t0).ok());
  ASSERT_EQ(rec.kinds(), Kinds{K::kRemoved});
  EXPECT_EQ(rec.changes[0].removal, RemovalReason::kIsSelf);
  EXPECT_EQ(rec.changes[0].node_id, "") << "never identified";
  EXPECT_EQ(rec.changes[0].name, "127.0.0.1:32768");
}

TEST(ClusterRegistryChanges, APeerAppearsUnidentifiedAndTakesOverTheNodesMdnsRecord) {
  ClusterRegistry r("self", timing());
  Recorder rec(r);
  r.add_static("10.0.0.2", 32768, t0);
  ASSERT_EQ(rec.kinds(), Kinds{K::kAppeared});
  EXPECT_EQ(rec.changes[0].node_id, "");
  EXPECT_EQ(rec.changes[0].name, "10.0.0.2:32768");
  EXPECT_FALSE(rec.changes[0].record.id.has_value());
  EXPECT_TRUE(rec.changes[0].record.configured());
  const RecordId peer = rec.changes[0].record.handle;
  rec.changes.clear();
  const RecordId mdns = reachable_b(r);
  rec.changes.clear();

  ASSERT_TRUE(r.heartbeat_done(peer, status_of("b", {{"m", true}}), t0 + seconds(1)).ok());
  // The mDNS record goes (the node stays, in the --peer's record), then the --peer's record tells who it is.
  ASSERT_EQ(rec.kinds(), (Kinds{K::kRemoved, K::kReachable, K::kModelsChanged, K::kStatusChanged}));
  EXPECT_EQ(rec.changes[0].removal, RemovalReason::kReplaced);
  EXPECT_EQ(rec.changes[0].record.handle, mdns);
  EXPECT_EQ(rec.changes[0].node_id, "b");
  for (size_t i = 1; i < rec.changes.size(); ++i) {
    EXPECT_EQ(rec.changes[i].record.handle, peer);
    EXPECT_EQ(rec.changes[i].node_id, "b");
    EXPECT_EQ(rec.changes[i].former_id, "") << "it had no id before";
  }
  EXPECT_TRUE(r.is_reachable("b"));
}

TEST(ClusterRegistryChanges, APeerAnsweredByAnotherNodeTellsTheIdItHad) {
  ClusterRegistry r("self", timing());
  r.add_static("192.168.1.9", 40000, t0);
  const RecordId peer = r.take_due(t0).at(0).record;
  ASSERT_TRUE(r.heartbeat_done(peer, status_of("b"), t0).ok());
  Recorder rec(r);
  r.take_due(t0 + seconds(2));
  ASSERT_TRUE(r.heartbeat_done(peer, status_of("c"), t0 + seconds(2)).ok());
  ASSERT_EQ(rec.kinds(), Kinds{K::kStatusChanged});
  EXPECT_EQ(rec.changes[0].node_id, "c");
  EXPECT_EQ(rec.changes[0].former_id, "b");
  EXPECT_EQ(rec.changes[0].record.handle, peer);
}

TEST(ClusterRegistryChanges, ACallerWeDidNotKnowAppears) {
  ClusterRegistry r("self", timing());
  Recorder rec(r);
  EXPECT_TRUE(r.called_by(status_of("b", {{"m", true}}), "10.0.0.2", t0));
  ASSERT_EQ(rec.kinds(), Kinds{K::kAppeared});
  EXPECT_EQ(rec.changes[0].node_id, "b");
  EXPECT_EQ(rec.changes[0].record.state, PeerState::kPending);
  EXPECT_EQ(std::get<LanPath>(rec.changes[0].record.paths.at(0)).address, "10.0.0.2");
  rec.changes.clear();
  EXPECT_FALSE(r.called_by(status_of("self"), "10.0.0.1", t0));
  EXPECT_FALSE(r.announced("self", "me", "", "10.0.0.1", 32768, t0));
  EXPECT_TRUE(rec.changes.empty()) << "this node is not a change";
}

TEST(ClusterRegistryChanges, ACallbackRunsAfterTheLockIsReleasedAndMayCallTheRegistry) {
  ClusterRegistry r("self", timing());
  std::vector<std::string> seen;
  auto sub = r.subscribe([&](const RegistryChange& c) {
    // Would deadlock if called under the registry's lock.
    seen.push_back(std::string(to_string(c.kind)) + (r.is_reachable(c.node_id) ? " reachable" : "") + " " +
                   std::to_string(r.snapshot().size()));
    // A change made from a callback is told after this one, to every subscriber (this one included).
    if (c.kind == K::kAppeared && c.node_id == "b") r.announced("c", "sea", "", "10.0.0.3", 32768, t0);
  });
  Recorder other(r);
  reachable_b(r);
  EXPECT_EQ(seen, (std::vector<std::string>{"appeared 1", "appeared 2", "reachable reachable 2",
                                            "models_changed reachable 2", "status_changed reachable 2"}));
  ASSERT_EQ(other.changes.size(), 5u);
  EXPECT_EQ(other.changes[0].node_id, "c") << "told while the first change was being told";
  EXPECT_EQ(other.changes[1].node_id, "b");
}

TEST(ClusterRegistryChanges, UnsubscribingFromInsideACallbackStopsAtOnce) {
  ClusterRegistry r("self", timing());
  int first_calls = 0;
  int second_calls = 0;
  Subscription second;
  Subscription first = r.subscribe([&](const RegistryChange&) {
    ++first_calls;
    second.reset();  // another's, before its turn
    first.reset();   // its own
  });
  second = r.subscribe([&](const RegistryChange&) { ++second_calls; });
  reachable_b(r);  // several changes
  EXPECT_EQ(first_calls, 1);
  EXPECT_EQ(second_calls, 0);
  EXPECT_FALSE(first.active());
  r.announced("c", "sea", "", "10.0.0.3", 32768, t0);
  EXPECT_EQ(first_calls, 1);
}

TEST(ClusterRegistryChanges, ASubscriptionMayOutliveTheRegistry) {
  auto r = std::make_unique<ClusterRegistry>("self", timing());
  auto held = std::make_shared<int>(0);
  std::weak_ptr<int> watched = held;
  Subscription sub = r->subscribe([held](const RegistryChange&) { ++*held; });
  held.reset();
  r->announced("b", "bee", "", "10.0.0.2", 32768, t0);
  EXPECT_EQ(*watched.lock(), 1);
  r.reset();
  EXPECT_TRUE(watched.expired()) << "the callback went with the registry";
  EXPECT_TRUE(sub.active());
  sub.reset();  // nothing left to release: no harm
  EXPECT_FALSE(sub.active());
}

TEST(ClusterRegistryChanges, AnEndedSubscriptionHearsNothingAndReleasesItsCallback) {
  ClusterRegistry r("self", timing());
  auto held = std::make_shared<int>(0);
  std::weak_ptr<int> watched = held;
  Subscription sub = r.subscribe([held](const RegistryChange&) { ++*held; });
  held.reset();
  r.announced("b", "bee", "", "10.0.0.2", 32768, t0);
  EXPECT_EQ(*watched.lock(), 1);
  sub.reset();
  EXPECT_TRUE(watched.expired());
  r.announced("c", "sea", "", "10.0.0.3", 32768, t0);  // nobody to tell
}

TEST(ClusterRegistryChanges, RevisionsOrderTheChangesOfARecord) {
  ClusterRegistry r("self", timing());
  Recorder rec(r);
  const RecordId b = reachable_b(r);
  make_unreachable(r, b, t0 + seconds(2));
  uint64_t last = 0;
  for (const auto& c : rec.changes) {
    EXPECT_GE(c.record.revision, last);
    last = c.record.revision;
  }
  EXPECT_EQ(r.snapshot().at(0).revision, last);
  EXPECT_EQ(rec.changes.back().kind, K::kUnreachable);
}

}  // namespace
}  // namespace quorum::cluster
