// The auth chain: loopback is trusted, another machine must prove it is of the cluster, a proof is judged
// wherever it arrives, and nothing else gets in.
#include "auth/authenticator.h"

#include <gtest/gtest.h>

#include <chrono>

namespace quorum::auth {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;

net::HttpRequest request(net::Arrival arrival) {
  net::HttpRequest r;
  r.method = "POST";
  r.target = "/v1/chat/completions";
  r.body = R"({"model":"m"})";
  r.arrival = arrival;
  r.remote_address = arrival == net::Arrival::kLoopback ? "127.0.0.1" : "192.0.2.7";
  return r;
}

void sign(net::HttpRequest& r, const std::string& secret, const std::string& from, const std::string& to,
          int64_t at = kNow) {
  for (auto& [name, value] : cluster::sign_peer_request(secret, from, to, r.method, r.target, r.body, at)) {
    r.headers.add(name, value);
  }
}

Authenticator chain(const std::string& secret) {
  Authenticator a;
  a.add(std::make_unique<PeerProofCheck>("self", secret, [] { return kNow; }));
  a.add(std::make_unique<LoopbackTrust>());
  return a;
}

TEST(Authenticator, LoopbackIsALocalCaller) {
  auto a = chain("secret");
  auto caller = a.authenticate(request(net::Arrival::kLoopback));
  ASSERT_TRUE(caller);
  EXPECT_FALSE(caller->is_peer());
}

TEST(Authenticator, AnotherMachineWithoutCredentialsIs401) {
  auto a = chain("secret");
  auto caller = a.authenticate(request(net::Arrival::kNetwork));
  ASSERT_FALSE(caller);
  EXPECT_EQ(caller.error().status, 401);
  EXPECT_EQ(caller.error().code, "invalid_api_key");
}

TEST(Authenticator, APeerWithAValidProofIsThatPeer) {
  auto a = chain("secret");
  auto r = request(net::Arrival::kPeerTls);
  sign(r, "secret", "node-b", "self");
  auto caller = a.authenticate(r);
  ASSERT_TRUE(caller) << caller.error().message;
  EXPECT_TRUE(caller->is_peer());
  EXPECT_EQ(caller->node_id, "node-b");
}

TEST(Authenticator, AProofWithAnotherSecretOrForAnotherNodeOrReplayedIsRefused) {
  auto a = chain("secret");
  auto wrong_secret = request(net::Arrival::kPeerTls);
  sign(wrong_secret, "guess", "node-b", "self");
  EXPECT_EQ(a.authenticate(wrong_secret).error().code, "invalid_peer_proof");

  auto other_node = request(net::Arrival::kPeerTls);
  sign(other_node, "secret", "node-b", "node-c");
  EXPECT_FALSE(a.authenticate(other_node));

  auto once = request(net::Arrival::kPeerTls);
  sign(once, "secret", "node-b", "self");
  EXPECT_TRUE(a.authenticate(once));
  EXPECT_FALSE(a.authenticate(once));  // the same nonce again

  auto stale = request(net::Arrival::kPeerTls);
  sign(stale, "secret", "node-b", "self", kNow - 10 * 60 * 1000);
  EXPECT_FALSE(a.authenticate(stale));
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(Authenticator, ANodeOnTheSameMachineIsAPeerWhenItsProofHolds) {
  auto a = node_authenticator("self", std::string("secret"));
  auto r = request(net::Arrival::kLoopback);
  sign(r, "secret", "node-b", "self", now_ms());
  auto caller = a->authenticate(r);
  ASSERT_TRUE(caller) << caller.error().message;
  EXPECT_TRUE(caller->is_peer()) << "a proof is judged wherever it arrives";
  EXPECT_EQ(caller->node_id, "node-b");
}

TEST(Authenticator, ALoopbackRequestWithABadProofIsRefusedNotTrusted) {
  auto a = node_authenticator("self", std::string("secret"));
  auto r = request(net::Arrival::kLoopback);
  sign(r, "guess", "node-b", "self", now_ms());
  auto caller = a->authenticate(r);
  ASSERT_FALSE(caller);
  EXPECT_EQ(caller.error().status, 401);
  EXPECT_EQ(caller.error().code, "invalid_peer_proof");
  EXPECT_FALSE(a->authenticate(request(net::Arrival::kLoopback))->is_peer()) << "no proof: a local caller";
}

// Peers talk TLS: a proof that came in plain text from the network may have been read, and its request
// altered in ways the proof does not cover (the reply); it is refused, from its head already.
TEST(Authenticator, AValidProofInPlainTextFromTheNetworkIsRefused) {
  auto a = chain("secret");
  auto r = request(net::Arrival::kNetwork);
  sign(r, "secret", "node-b", "self");
  auto head = a.admit(r);
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().status, 401);
  EXPECT_NE(head.error().message.find("TLS"), std::string::npos);
  auto caller = a.authenticate(r);
  ASSERT_FALSE(caller);
  EXPECT_EQ(caller.error().status, 401);
}

// A TLS session proves the cluster key, not who the caller is: without a proof it is no one (and a session
// from this machine is no local caller).
TEST(Authenticator, ATlsSessionWithoutAProofIsNotAPeer) {
  auto a = chain("secret");
  auto caller = a.authenticate(request(net::Arrival::kPeerTls));
  ASSERT_FALSE(caller);
  EXPECT_EQ(caller.error().status, 401);
}

TEST(Authenticator, AProofAloneIsNotEnoughOutsideACluster) {
  auto a = node_authenticator("self", std::nullopt);
  auto r = request(net::Arrival::kNetwork);
  sign(r, "secret", "node-b", "self");
  auto caller = a->authenticate(r);
  ASSERT_FALSE(caller);
  EXPECT_EQ(caller.error().status, 401);
}

// admit(): the same chain on the head alone, before the body is read.
TEST(AuthenticatorAdmit, LoopbackIsVerifiedFromItsHead) {
  auto a = chain("secret");
  auto head = a.admit(request(net::Arrival::kLoopback));
  ASSERT_TRUE(head);
  EXPECT_EQ(*head, HeadCheck::kVerified);
}

TEST(AuthenticatorAdmit, AnotherMachineWithoutCredentialsIsRefusedFromItsHead) {
  auto a = chain("secret");
  auto head = a.admit(request(net::Arrival::kNetwork));
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().status, 401);
  EXPECT_EQ(head.error().code, "invalid_api_key");
}

TEST(AuthenticatorAdmit, APeerWhoseHeadHoldsIsPendingUntilItsBodyIsChecked) {
  auto a = chain("secret");
  auto r = request(net::Arrival::kPeerTls);
  sign(r, "guess", "node-b", "self");  // the wrong secret shows only with the body
  auto head = a.admit(r);
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(*head, HeadCheck::kPending);
  EXPECT_FALSE(a.authenticate(r));
}

TEST(AuthenticatorAdmit, APeerHeadThatIsStaleOrForAnotherNodeIsRefused) {
  auto a = chain("secret");
  auto stale = request(net::Arrival::kPeerTls);
  sign(stale, "secret", "node-b", "self", kNow - 10 * 60 * 1000);
  EXPECT_EQ(a.admit(stale).error().code, "invalid_peer_proof");
  auto other_node = request(net::Arrival::kPeerTls);
  sign(other_node, "secret", "node-b", "node-c");
  EXPECT_FALSE(a.admit(other_node));
}

TEST(AuthenticatorAdmit, OutsideAClusterAProofIsRefusedFromItsHead) {
  auto a = node_authenticator("self", std::nullopt);
  auto r = request(net::Arrival::kNetwork);
  sign(r, "secret", "node-b", "self");
  EXPECT_EQ(a->admit(r).error().status, 401);
}

TEST(Authenticator, TheProofHeadersAreReadByTheirOneName) {
  net::Headers h;
  h.add("x-quorum-node", "n");
  h.add("X-QUORUM-PROOF", "p");
  auto proof = peer_proof_of(h);
  EXPECT_EQ(proof.node, "n");
  EXPECT_EQ(proof.proof, "p");
}

}  // namespace
}  // namespace quorum::auth
