#include "cluster/peer_proof.h"

#include <gtest/gtest.h>

namespace quorum::cluster {
namespace {

constexpr std::string_view kSecret = "5f0c2a7e9b3d41f68a2c7e5b9d0f3a6c8e1b4d7f0a3c6e9b2d5f8a1c4e7b0d3f";
constexpr int64_t kNow = 1'795'000'000'000;

PeerProof proof_of(const std::vector<std::pair<std::string, std::string>>& headers) {
  PeerProof p;
  for (const auto& [name, value] : headers) {
    if (name == "X-Quorum-Node") p.node = value;
    if (name == "X-Quorum-To") p.to = value;
    if (name == "X-Quorum-Time") p.time = value;
    if (name == "X-Quorum-Nonce") p.nonce = value;
    if (name == "X-Quorum-Proof") p.proof = value;
  }
  return p;
}

PeerProof signed_request(std::string_view secret = kSecret, int64_t at = kNow) {
  return proof_of(
      sign_peer_request(secret, "node-a", "node-b", "POST", "/v1/chat/completions", "{\"x\":1}", at));
}

Status check(PeerVerifier& v, const PeerProof& p, std::string_view method = "POST",
             std::string_view target = "/v1/chat/completions", std::string_view body = "{\"x\":1}",
             int64_t now = kNow) {
  return v.verify(kSecret, "node-b", p, method, target, body, now);
}

TEST(PeerProof, ASignedRequestIsAccepted) {
  PeerVerifier v;
  auto s = check(v, signed_request());
  EXPECT_TRUE(s.ok()) << s.error().message;
}

TEST(PeerProof, TheSecretIsNotInTheHeaders) {
  for (const auto& [name, value] :
       sign_peer_request(kSecret, "node-a", "node-b", "GET", "/v1/models", "", kNow)) {
    EXPECT_EQ(value.find(kSecret.substr(0, 16)), std::string::npos) << name;
  }
}

TEST(PeerProof, AReplayIsRefusedWhileFreshAndLater) {
  PeerVerifier v(std::chrono::seconds(60));
  auto p = signed_request();
  ASSERT_TRUE(check(v, p).ok());
  auto again = check(v, p, "POST", "/v1/chat/completions", "{\"x\":1}", kNow + 1000);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().status, 401);
  EXPECT_NE(again.error().message.find("replayed"), std::string::npos);
  EXPECT_FALSE(
      check(v, p, "POST", "/v1/chat/completions", "{\"x\":1}", kNow + 90'000).ok());  // stale by then
}

TEST(PeerProof, StaleOrFutureRequestsAreRefused) {
  PeerVerifier v(std::chrono::seconds(60));
  EXPECT_FALSE(check(v, signed_request(kSecret, kNow - 61'000)).ok());
  EXPECT_FALSE(check(v, signed_request(kSecret, kNow + 61'000)).ok());
  EXPECT_TRUE(check(v, signed_request(kSecret, kNow - 59'000)).ok());
}

TEST(PeerProof, AnotherClustersSecretIsRefused) {
  PeerVerifier v;
  auto s = check(v, signed_request("another secret"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("does not match"), std::string::npos);
}

TEST(PeerProof, TamperingWithMethodTargetOrBodyIsRefused) {
  PeerVerifier v;
  EXPECT_FALSE(check(v, signed_request(), "GET").ok());
  EXPECT_FALSE(check(v, signed_request(), "POST", "/v1/embeddings").ok());
  EXPECT_FALSE(check(v, signed_request(), "POST", "/v1/chat/completions", "{\"x\":2}").ok());
  auto p = signed_request();
  p.node = "node-b";
  EXPECT_FALSE(check(v, p).ok());
}

TEST(PeerProof, MissingHeadersSayWhatIsExpected) {
  PeerVerifier v;
  auto s = check(v, PeerProof{});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().status, 401);
  EXPECT_NE(s.error().message.find("cluster"), std::string::npos);
}

}  // namespace
}  // namespace quorum::cluster

namespace quorum::cluster {
namespace {

TEST(PeerProof, ARequestForAnotherNodeIsRefused) {
  PeerVerifier v;
  auto p = signed_request();
  auto s = v.verify(kSecret, "node-c", p, "POST", "/v1/chat/completions", "{\"x\":1}", kNow);
  ASSERT_FALSE(s.ok()) << "a captured request replayed to another node of the cluster";
  EXPECT_NE(s.error().message.find("another node"), std::string::npos);
  p.to = "node-c";  // and the recipient cannot be rewritten: it is signed
  EXPECT_FALSE(v.verify(kSecret, "node-c", p, "POST", "/v1/chat/completions", "{\"x\":1}", kNow).ok());
}

TEST(PeerProof, OnlyTheIdentityQuestionMayBeAddressedToNobodyInParticular) {
  PeerVerifier v;
  auto who = proof_of(sign_peer_request(kSecret, "node-a", "", "GET", kIdentityTarget, "", kNow));
  EXPECT_TRUE(v.verify(kSecret, "node-b", who, "GET", kIdentityTarget, "", kNow).ok());
  // A first heartbeat to a --peer used to go to nobody in particular: captured, it was valid at every node
  // of the cluster for a minute. A heartbeat now always names the node it is for.
  auto hb = proof_of(sign_peer_request(kSecret, "node-a", "", "POST", "/v1/cluster/heartbeat", "{}", kNow));
  auto refused = v.verify(kSecret, "node-c", hb, "POST", "/v1/cluster/heartbeat", "{}", kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("addressed to another node"), std::string::npos);
  auto chat = proof_of(sign_peer_request(kSecret, "node-a", "", "POST", "/v1/chat/completions", "{}", kNow));
  EXPECT_FALSE(v.verify(kSecret, "node-b", chat, "POST", "/v1/chat/completions", "{}", kNow).ok());
  auto post = proof_of(sign_peer_request(kSecret, "node-a", "", "POST", kIdentityTarget, "", kNow));
  EXPECT_FALSE(v.verify(kSecret, "node-b", post, "POST", kIdentityTarget, "", kNow).ok()) << "GET only";
}

TEST(PeerReply, ProvesTheAnswerComesFromTheClusterAndAnswersThatRequest) {
  auto proof = sign_peer_reply(kSecret, "nonce-1234567890ab", "node-b", "{\"id\":\"node-b\"}");
  EXPECT_TRUE(verify_peer_reply(kSecret, "nonce-1234567890ab", "node-b", "{\"id\":\"node-b\"}", proof));
  EXPECT_FALSE(verify_peer_reply(kSecret, "nonce-other-request", "node-b", "{\"id\":\"node-b\"}", proof))
      << "an answer to another request";
  EXPECT_FALSE(verify_peer_reply(kSecret, "nonce-1234567890ab", "node-c", "{\"id\":\"node-b\"}", proof))
      << "claimed by another node";
  EXPECT_FALSE(
      verify_peer_reply(kSecret, "nonce-1234567890ab", "node-b", "{\"id\":\"node-b\",\"x\":1}", proof))
      << "a changed body";
  EXPECT_FALSE(
      verify_peer_reply("another-secret", "nonce-1234567890ab", "node-b", "{\"id\":\"node-b\"}", proof));
  EXPECT_FALSE(verify_peer_reply(kSecret, "nonce-1234567890ab", "node-b", "{\"id\":\"node-b\"}", ""));
}

}  // namespace
}  // namespace quorum::cluster
