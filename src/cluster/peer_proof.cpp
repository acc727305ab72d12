#include "cluster/peer_proof.h"

#include <cstdlib>

#include "cluster/crypto.h"

namespace quorum::cluster {

namespace {

std::string signed_text(std::string_view method, std::string_view target, std::string_view node,
                        std::string_view to, std::string_view time, std::string_view nonce,
                        std::string_view body) {
  std::string s = "quorum-peer-v2\n";
  s.append(method).append("\n").append(target).append("\n").append(node).append("\n").append(to).append("\n");
  s.append(time).append("\n").append(nonce).append("\n").append(sha256_hex(body));
  return s;
}

ApiError unauthorized(std::string message) {
  return ApiError{401, "invalid_request_error", std::move(message), std::nullopt, "invalid_peer_proof"};
}

bool parse_ms(std::string_view text, int64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> sign_peer_request(std::string_view secret,
                                                                   std::string_view node, std::string_view to,
                                                                   std::string_view method,
                                                                   std::string_view target,
                                                                   std::string_view body, int64_t now_ms) {
  std::string time = std::to_string(now_ms);
  std::string nonce = random_hex(16);
  std::string proof = hmac_sha256_hex(secret, signed_text(method, target, node, to, time, nonce, body));
  return {{std::string(peer_headers::kNode), std::string(node)},
          {std::string(peer_headers::kTo), std::string(to)},
          {std::string(peer_headers::kTime), time},
          {std::string(peer_headers::kNonce), nonce},
          {std::string(peer_headers::kProof), proof}};
}

std::string sign_peer_reply(std::string_view secret, std::string_view request_nonce, std::string_view node,
                            std::string_view body) {
  std::string text = "quorum-peer-reply-v1\n";
  text.append(request_nonce).append("\n").append(node).append("\n").append(sha256_hex(body));
  return hmac_sha256_hex(secret, text);
}

bool verify_peer_reply(std::string_view secret, std::string_view request_nonce, std::string_view node,
                       std::string_view body, std::string_view proof) {
  if (request_nonce.empty() || node.empty() || proof.empty()) return false;
  return constant_time_equal(sign_peer_reply(secret, request_nonce, node, body), proof);
}

Status PeerVerifier::verify(std::string_view secret, std::string_view self, const PeerProof& p,
                            std::string_view method, std::string_view target, std::string_view body,
                            int64_t now_ms) {
  if (p.node.empty() || p.time.empty() || p.nonce.empty() || p.proof.empty()) {
    return unauthorized("This node accepts requests from other machines only from nodes of its cluster.");
  }
  int64_t sent = 0;
  if (!parse_ms(p.time, sent)) return unauthorized("Malformed X-Quorum-Time.");
  if (p.nonce.size() < 16 || p.nonce.size() > 64) return unauthorized("Malformed X-Quorum-Nonce.");
  if (std::llabs(now_ms - sent) > window_.count()) {
    return unauthorized("The request is stale or its clock is off by more than " +
                        std::to_string(window_.count() / 1000) + " s.");
  }
  std::string expected =
      hmac_sha256_hex(secret, signed_text(method, target, p.node, p.to, p.time, p.nonce, body));
  if (!constant_time_equal(expected, p.proof)) return unauthorized("The cluster proof does not match.");
  if (p.to.empty() ? !(method == "GET" && target == kIdentityTarget) : p.to != self) {
    return unauthorized("The request is addressed to another node.");
  }

  std::lock_guard lock(mutex_);
  while (!by_expiry_.empty() && by_expiry_.begin()->first < now_ms) {
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  std::string key = p.node + "/" + p.nonce;
  if (seen_.count(key)) return unauthorized("This request was already received (replayed).");
  int64_t expiry = now_ms + 2 * window_.count();
  seen_.emplace(key, expiry);
  by_expiry_.emplace(expiry, std::move(key));
  return Ok{};
}

}  // namespace quorum::cluster
