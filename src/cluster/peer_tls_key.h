// The key that encrypts and authenticates the traffic between the nodes of a cluster (TLS 1.3 with an
// external pre-shared key, net/peer_tls.h), derived from the cluster secret so that every member has it and
// nobody else does. Pure: no I/O.
//
//   key      = HKDF-SHA256(ikm = the secret as written in cluster.json, salt = "quorum peer tls v1",
//                          info = cluster id), 32 bytes
//   identity = "quorum-peer-tls-v1:" + fingerprint (membership.h), sent in the clear in the ClientHello
//
// The identity is public (mDNS announces the fingerprint already). It lets a node of another cluster, or of
// this cluster with another secret, fail the handshake at once: the server finds no key under that identity.
// Changing the label ("v1") changes every key, so a future format cannot be confused with this one.
#pragma once

#include <string>

#include "cluster/membership.h"

namespace quorum::cluster {

struct PeerTlsKey {
  std::string identity;
  std::string key;  // 32 raw bytes
};

PeerTlsKey peer_tls_key(const Membership& membership);

}  // namespace quorum::cluster
