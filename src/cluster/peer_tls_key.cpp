#include "cluster/peer_tls_key.h"

#include "cluster/crypto.h"

namespace quorum::cluster {

PeerTlsKey peer_tls_key(const Membership& membership) {
  return PeerTlsKey{"quorum-peer-tls-v1:" + membership.fingerprint(),
                    hkdf_sha256(membership.secret, "quorum peer tls v1", membership.cluster_id, 32)};
}

}  // namespace quorum::cluster
