// Peer proofs (src/cluster/peer_proof.h) under attack: a valid request or reply, signed once at start by the
// code's own signer, is mutated by the input, and the verifier must tell.
//
// Input: byte 0 picks what is mutated (bit 0: the identity request to a --peer whose id is not known yet,
// GET /v1/cluster/identity with an empty X-Quorum-To, instead of a request addressed to this node; bit 1: a
// signed reply instead of a request);
// then edit operations, each an operation byte (field = op % 11, kind = op / 11 % 5) and its operands:
//   fields: 0 method, 1 target, 2 node, 3 to, 4 time, 5 nonce, 6 proof, 7 body, 8 secret, 9 self (the
//           verifier's own id), 10 the verifier's clock (kind ignored: two bytes, a signed offset x 100 ms);
//   kinds: 0 set the byte at `pos` to `value`, 1 insert `value` at `pos`, 2 erase the byte at `pos`,
//          3 replace the field with the next `len` bytes, 4 cut the field at `pos`.
//
// Invariants:
//  - a request verifies exactly when every field is the one that was signed (the verifier's own id aside for
//    the identity request, which any node accepts) and the clocks agree within the window; then the same
//    request a second time is refused as replayed;
//  - a reply verifies exactly when nonce, node, body, proof and secret are the ones that were signed;
//  - every refusal is a 401 with code invalid_peer_proof.
#include "cluster/peer_proof.h"

#include <array>
#include <chrono>

#include "support/harness.h"

using quorum::cluster::PeerProof;
using quorum::cluster::PeerVerifier;

namespace {

constexpr int64_t kNow = 1753357673000;  // ms
constexpr auto kWindow = std::chrono::seconds(60);
constexpr size_t kFields = 10;

enum Field { kMethod, kTarget, kNode, kTo, kTime, kNonce, kProof, kBody, kSecret, kSelf };

using Fields = std::array<std::string, kFields>;

// The signed originals: a chat request forwarded to this node, and an identity request addressed to nobody.
Fields sign(bool identity) {
  Fields f;
  f[kSecret] = "9f2c4e1a7b3d5f608192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
  f[kNode] = "3b5f0a6c2d8e4f1a9b7c5d3e1f0a2b4c";
  f[kSelf] = "c4b2a0f1e3d5c7b9a1f4e2d8c6a0b5f3";
  if (identity) {
    f[kMethod] = "GET";
    f[kTarget] = std::string(quorum::cluster::kIdentityTarget);
  } else {
    f[kMethod] = "POST";
    f[kTarget] = "/v1/chat/completions";
    f[kBody] = R"({"model":"qwen3-0.6b","messages":[{"role":"user","content":"hi"}],"stream":true})";
  }
  auto headers = quorum::cluster::sign_peer_request(f[kSecret], f[kNode], identity ? "" : f[kSelf],
                                                    f[kMethod], f[kTarget], f[kBody], kNow);
  f[kTo] = headers[1].second;
  f[kTime] = headers[2].second;
  f[kNonce] = headers[3].second;
  f[kProof] = headers[4].second;
  return f;
}

const Fields& original(bool identity) {
  static const Fields request = sign(false), identity_request = sign(true);
  return identity ? identity_request : request;
}

// Applies the edit operations in [data, data + size) to `f`; returns the clock offset in ms.
int64_t mutate(const uint8_t* data, size_t size, Fields& f) {
  int64_t offset = 0;
  size_t at = 0;
  auto next = [&]() -> uint8_t { return at < size ? data[at++] : 0; };
  while (at < size) {
    uint8_t op = next();
    size_t field = op % (kFields + 1);
    if (field == kFields) {
      offset = static_cast<int16_t>(next() | next() << 8) * int64_t{100};
      continue;
    }
    std::string& s = f[field];
    switch (op / (kFields + 1) % 5) {
      case 0:
        if (!s.empty()) {
          size_t pos = next() % s.size();
          s[pos] = static_cast<char>(next());
        }
        break;
      case 1: {
        size_t pos = next() % (s.size() + 1);
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>(next()));
        break;
      }
      case 2:
        if (!s.empty()) s.erase(next() % s.size(), 1);
        break;
      case 3: {
        size_t len = next();
        len = std::min(len, size - at);
        s.assign(reinterpret_cast<const char*>(data + at), len);
        at += len;
        break;
      }
      default:
        s.resize(std::min<size_t>(s.size(), next()));
        break;
    }
  }
  return offset;
}

void check_refusal(const quorum::Status& s) {
  FUZZ_CHECK(!s.ok() && s.error().status == 401 && s.error().code == "invalid_peer_proof");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool identity = data[0] & 1, reply = data[0] & 2;
  const Fields& signed_fields = original(identity);
  if (reply) {
    // The reply to the original request, signed by `self` with the request's nonce.
    const std::string proof = quorum::cluster::sign_peer_reply(signed_fields[kSecret], signed_fields[kNonce],
                                                               signed_fields[kSelf], signed_fields[kBody]);
    Fields r = signed_fields;
    r[kProof] = proof;
    Fields m = r;
    mutate(data + 1, size - 1, m);
    bool same = m[kNonce] == r[kNonce] && m[kSelf] == r[kSelf] && m[kBody] == r[kBody] &&
                m[kProof] == r[kProof] && m[kSecret] == r[kSecret];
    bool ok = quorum::cluster::verify_peer_reply(m[kSecret], m[kNonce], m[kSelf], m[kBody], m[kProof]);
    FUZZ_CHECK(ok == same, ok ? "a mutated reply verified" : "the signed reply was refused");
    return 0;
  }

  Fields f = signed_fields;
  int64_t offset = mutate(data + 1, size - 1, f);
  // The identity request is addressed to nobody (its X-Quorum-To is empty): any node accepts it, whatever its
  // own id (peer_proof.h), so `self` is not part of what must be unchanged.
  Fields unchanged = f;
  if (identity) unchanged[kSelf] = signed_fields[kSelf];
  const bool identical = unchanged == signed_fields;
  PeerVerifier verifier(kWindow);
  PeerProof proof{f[kNode], f[kTo], f[kTime], f[kNonce], f[kProof]};
  const int64_t now = kNow + offset;
  auto status = verifier.verify(f[kSecret], f[kSelf], proof, f[kMethod], f[kTarget], f[kBody], now);
  const bool expected = identical && std::llabs(offset) <= kWindow.count() * 1000;
  if (status.ok()) {
    FUZZ_CHECK(expected, "a mutated request verified");
    check_refusal(verifier.verify(f[kSecret], f[kSelf], proof, f[kMethod], f[kTarget], f[kBody], now));
  } else {
    FUZZ_CHECK(!expected, "the signed request was refused: " + status.error().message);
    check_refusal(status);
  }
  return 0;
}
