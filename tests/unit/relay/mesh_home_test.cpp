// The pure logic of several relays (mesh_home.h): which relay is a cluster's home, and the proof a
// forwarded request carries.
#include "relay/mesh_home.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

namespace quorum::relay {
namespace {

std::vector<RelayRecord> relays(std::initializer_list<const char*> ids) {
  std::vector<RelayRecord> out;
  for (const char* id : ids) out.push_back(RelayRecord{id, std::string("http://") + id, 0, 0});
  return out;
}

std::string cluster(int i) {
  return "cluster-" + std::to_string(i);
}

std::map<std::string, std::string> homes(const std::vector<RelayRecord>& live, int clusters) {
  std::map<std::string, std::string> out;
  for (int i = 0; i < clusters; ++i) out[cluster(i)] = home_relay(cluster(i), live)->id;
  return out;
}

TEST(MeshHome, NoLiveRelayIsNoHome) {
  EXPECT_EQ(home_relay("c", {}), nullptr);
}

TEST(MeshHome, TheHomeDoesNotDependOnTheListsOrder) {
  auto live = relays({"a1", "b2", "c3", "d4"});
  const auto before = homes(live, 500);
  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(live.begin(), live.end(), rng);
    EXPECT_EQ(homes(live, 500), before);
  }
}

TEST(MeshHome, ClustersSpreadOverTheRelays) {
  const auto h = homes(relays({"a1", "b2", "c3"}), 3000);
  std::map<std::string, int> count;
  for (const auto& [c, r] : h) ++count[r];
  ASSERT_EQ(count.size(), 3u);
  for (const auto& [r, n] : count) {
    EXPECT_GT(n, 800) << r;
    EXPECT_LT(n, 1200) << r;
  }
}

TEST(MeshHome, ARelayThatGoesMovesOnlyItsOwnClusters) {
  const auto before = homes(relays({"a1", "b2", "c3"}), 2000);
  const auto after = homes(relays({"a1", "c3"}), 2000);
  int moved = 0;
  for (const auto& [c, home] : before) {
    if (home == "b2") {
      EXPECT_NE(after.at(c), "b2");
      ++moved;
    } else {
      EXPECT_EQ(after.at(c), home) << c << " moved though its home stayed";
    }
  }
  EXPECT_GT(moved, 0);
}

TEST(MeshHome, ARelayThatComesTakesClustersOnlyForItself) {
  const auto before = homes(relays({"a1", "b2", "c3"}), 2000);
  const auto after = homes(relays({"a1", "b2", "c3", "d4"}), 2000);
  int taken = 0;
  for (const auto& [c, home] : before) {
    if (after.at(c) != home) {
      EXPECT_EQ(after.at(c), "d4");
      ++taken;
    }
  }
  EXPECT_GT(taken, 300);
  EXPECT_LT(taken, 700);
}

TEST(MeshHome, TheWeightSeparatesItsTwoParts) {
  EXPECT_NE(home_weight("ab", "c"), home_weight("a", "bc"));
  EXPECT_EQ(home_weight("x", "y"), home_weight("x", "y"));
}

TEST(MeshSignature, AForwardedRequestProvesItselfAndNothingElse) {
  const std::string secret(64, 'f');
  const int64_t at = 1'700'000'000;
  const std::string sig = mesh_signature(secret, "POST", "/v1/chat/completions", "{}", at, "relay-a");
  const std::string t = std::to_string(at);
  EXPECT_TRUE(mesh_signature_ok(secret, "POST", "/v1/chat/completions", "{}", t, "relay-a", sig, at));
  EXPECT_TRUE(mesh_signature_ok(secret, "POST", "/v1/chat/completions", "{}", t, "relay-a", sig, at + 60));
  EXPECT_TRUE(mesh_signature_ok(secret, "POST", "/v1/chat/completions", "{}", t, "relay-a", sig, at - 60));
  // Any part changed: refused.
  EXPECT_FALSE(mesh_signature_ok(secret, "GET", "/v1/chat/completions", "{}", t, "relay-a", sig, at));
  EXPECT_FALSE(mesh_signature_ok(secret, "POST", "/v1/completions", "{}", t, "relay-a", sig, at));
  EXPECT_FALSE(mesh_signature_ok(secret, "POST", "/v1/chat/completions", "{ }", t, "relay-a", sig, at));
  EXPECT_FALSE(mesh_signature_ok(secret, "POST", "/v1/chat/completions", "{}", t, "relay-b", sig, at));
  EXPECT_FALSE(
      mesh_signature_ok(std::string(64, 'e'), "POST", "/v1/chat/completions", "{}", t, "relay-a", sig, at));
  EXPECT_FALSE(mesh_signature_ok(secret, "POST", "/v1/chat/completions", "{}", std::to_string(at + 1),
                                 "relay-a", sig, at));
  // Too old or too far ahead, a time that is not a number, nothing at all.
  EXPECT_FALSE(mesh_signature_ok(secret, "POST", "/v1/chat/completions", "{}", t, "relay-a", sig, at + 61));
  EXPECT_FALSE(mesh_signature_ok(secret, "POST", "/v1/chat/completions", "{}", t, "relay-a", sig, at - 61));
  EXPECT_FALSE(mesh_signature_ok(secret, "POST", "/v1/chat/completions", "{}", t + "x", "relay-a", sig, at));
  EXPECT_FALSE(mesh_signature_ok(secret, "POST", "/v1/chat/completions", "{}", "", "relay-a", sig, at));
  EXPECT_FALSE(mesh_signature_ok("", "POST", "/v1/chat/completions", "{}", t, "relay-a",
                                 mesh_signature("", "POST", "/v1/chat/completions", "{}", at, "relay-a"),
                                 at));
  EXPECT_FALSE(mesh_signature_ok(secret, "POST", "/v1/chat/completions", "{}", t, "relay-a", "", at));
}

}  // namespace
}  // namespace quorum::relay
