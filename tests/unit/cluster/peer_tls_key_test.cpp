#include "cluster/peer_tls_key.h"

#include <gtest/gtest.h>

namespace quorum::cluster {
namespace {

std::string hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    out += "0123456789abcdef"[c >> 4];
    out += "0123456789abcdef"[c & 15];
  }
  return out;
}

const Membership kCluster{"0123456789abcdef", std::string(32, 'a') + std::string(32, 'b')};

// The value computed independently (Python's hmac module, RFC 5869 by hand), so that a change to the label,
// the salt/info order or the input form fails here: every node of a cluster must derive the same key.
TEST(PeerTlsKey, KnownValue) {
  Membership m{"0123456789abcdef", ""};
  for (int i = 0; i < 32; ++i) m.secret += "ab";
  auto k = peer_tls_key(m);
  EXPECT_EQ(hex(k.key), "f7cd0525d90f1c90e89fd9d11c47c9f1c579849ffaf00f6d0763428d509d69f8");
  EXPECT_EQ(k.identity, "quorum-peer-tls-v1:43b94110ea84e29f");
}

TEST(PeerTlsKey, IdentityNamesOnlyTheFingerprint) {
  auto k = peer_tls_key(kCluster);
  EXPECT_EQ(k.identity, "quorum-peer-tls-v1:" + kCluster.fingerprint());
  EXPECT_EQ(k.identity.find(kCluster.secret), std::string::npos);
  EXPECT_EQ(k.key.size(), 32u);
}

TEST(PeerTlsKey, SameClusterSameKeyOtherSecretOrIdOtherKey) {
  EXPECT_EQ(peer_tls_key(kCluster).key, peer_tls_key(kCluster).key);
  Membership other_secret = kCluster;
  other_secret.secret[0] = 'c';
  Membership other_id = kCluster;
  other_id.cluster_id[0] = '1';
  EXPECT_NE(peer_tls_key(other_secret).key, peer_tls_key(kCluster).key);
  EXPECT_NE(peer_tls_key(other_secret).identity, peer_tls_key(kCluster).identity);
  EXPECT_NE(peer_tls_key(other_id).key, peer_tls_key(kCluster).key);
}

}  // namespace
}  // namespace quorum::cluster
