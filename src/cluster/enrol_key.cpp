#include "cluster/enrol_key.h"

#include "cluster/crypto.h"

namespace quorum::cluster {

SigningKey cluster_enrol_key(const Membership& membership) {
  const std::string seed =
      hkdf_sha256(membership.secret, membership.cluster_id, "quorum-relay-enrol-v1", SigningKey::kSeedSize);
  return *SigningKey::from_seed(seed);
}

}  // namespace quorum::cluster
