// Requests between the nodes of a cluster prove that the sender knows the cluster secret without sending it,
// and cannot be replayed.
//
// The sender adds five headers: X-Quorum-Node (its node id), X-Quorum-To (the id of the node it is calling),
// X-Quorum-Time (Unix milliseconds), X-Quorum-Nonce (32 random hex characters) and X-Quorum-Proof:
// HMAC-SHA256, keyed with the secret, of
//   "quorum-peer-v2\n" METHOD "\n" TARGET "\n" NODE "\n" TO "\n" TIME "\n" NONCE "\n" hex(SHA-256(BODY))
// The receiver accepts a request only when the proof matches, it is addressed to this node, the time is
// within `window` of its own clock, and it has not seen this node's nonce before (nonces are remembered for
// twice the window, so a captured request is refused both while it is fresh and after it is stale, and
// cannot be replayed to another node either). The one request addressed to nobody in particular (an empty
// TO) is GET /v1/cluster/identity, which a node sends to a --peer whose id it does not know yet: it changes
// nothing at the callee and only asks for the callee's id, which the next requests are then addressed to
// (so no request that changes anything, a first heartbeat included, can be replayed to another node).
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace quorum::cluster {

// The headers of requests between nodes, named in this one place.
namespace peer_headers {
inline constexpr std::string_view kNode = "X-Quorum-Node";
inline constexpr std::string_view kTo = "X-Quorum-To";
inline constexpr std::string_view kTime = "X-Quorum-Time";
inline constexpr std::string_view kNonce = "X-Quorum-Nonce";
inline constexpr std::string_view kProof = "X-Quorum-Proof";
// A forwarded request carries it; a node never forwards such a request again.
inline constexpr std::string_view kHop = "X-Quorum-Hop";
}  // namespace peer_headers

// The target of the one request that may be addressed to nobody in particular (an empty TO): GET, no body,
// answered with the callee's id in X-Quorum-Node and a signed reply (sign_peer_reply).
inline constexpr std::string_view kIdentityTarget = "/v1/cluster/identity";

struct PeerProof {
  std::string node;
  std::string to;
  std::string time;  // Unix milliseconds, as sent
  std::string nonce;
  std::string proof;
};

// The headers of a request from `node` (name, value pairs, in the order above).
std::vector<std::pair<std::string, std::string>> sign_peer_request(std::string_view secret,
                                                                   std::string_view node, std::string_view to,
                                                                   std::string_view method,
                                                                   std::string_view target,
                                                                   std::string_view body, int64_t now_ms);

// The answer to a signed request proves, in turn, that it comes from a node of the cluster and answers that
// very request: X-Quorum-Node (the answering node's id) and X-Quorum-Proof = HMAC-SHA256, keyed with the
// secret, of "quorum-peer-reply-v1\n" REQUEST_NONCE "\n" NODE "\n" hex(SHA-256(BODY)). Without it, anyone on
// the LAN could announce itself under a member's id and answer heartbeats with made-up models.
std::string sign_peer_reply(std::string_view secret, std::string_view request_nonce, std::string_view node,
                            std::string_view body);
bool verify_peer_reply(std::string_view secret, std::string_view request_nonce, std::string_view node,
                       std::string_view body, std::string_view proof);

class PeerVerifier {
 public:
  explicit PeerVerifier(std::chrono::milliseconds window = std::chrono::seconds(60)) : window_(window) {}

  // Ok, or a 401 whose message says what was wrong (missing headers, stale, replayed, bad proof) without
  // revealing anything about the secret.
  // `self`: this node's id, which the request must be addressed to.
  Status verify(std::string_view secret, std::string_view self, const PeerProof& proof,
                std::string_view method, std::string_view target, std::string_view body, int64_t now_ms);

 private:
  std::chrono::milliseconds window_;
  std::mutex mutex_;
  std::multimap<int64_t, std::string> by_expiry_;  // expiry (ms) -> node + nonce
  std::map<std::string, int64_t> seen_;            // node + nonce -> expiry (ms)
};

}  // namespace quorum::cluster
