// The cluster's enrolment key for a relay: an Ed25519 key every node of the cluster derives from the cluster
// secret (HKDF-SHA256, its own label), so that any of them can prove membership to a relay, which knows only
// the public half and so learns nothing of the secret (link/relay_auth.h).
#pragma once

#include "cluster/membership.h"
#include "cluster/signing_key.h"

namespace quorum::cluster {

SigningKey cluster_enrol_key(const Membership& membership);

}  // namespace quorum::cluster
