// Ed25519 signatures (RFC 8032), over OpenSSL 3. A node proves who it is to the relay by signing the relay's
// challenge with its own key, and proves that it belongs to a cluster by signing with the cluster's enrolment
// key, which every member derives from the cluster secret (from_seed over an HKDF of the secret), so the
// relay holds only public keys and never learns the secret.
//
// Keys, signatures and seeds are raw bytes in std::string (32, 64 and 32 bytes), as stored and sent.
// Thread safety: a SigningKey is an immutable value; copies and concurrent sign() calls are safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace quorum::cluster {

class SigningKey {
 public:
  static constexpr size_t kSeedSize = 32;
  static constexpr size_t kPublicKeySize = 32;
  static constexpr size_t kSignatureSize = 64;

  // A new key from the operating system's CSPRNG. Aborts if none is available (as random_hex does).
  static SigningKey generate();
  // The key of this 32-byte seed (RFC 8032's "private key"): the same seed always gives the same key. nullopt
  // when the seed is not 32 bytes long.
  static std::optional<SigningKey> from_seed(std::string_view seed);

  SigningKey(const SigningKey&) = default;
  SigningKey(SigningKey&&) noexcept = default;
  // Copy and move assignment both swap, so that the seed replaced is wiped by `other`'s destructor.
  SigningKey& operator=(SigningKey other) noexcept;
  ~SigningKey();  // wipes the seed from memory

  // The 32-byte seed, for storage (mode 0600): from_seed(seed()) is this key again.
  const std::string& seed() const { return seed_; }
  // The 32-byte public key that verify_signature() takes.
  const std::string& public_key() const { return public_key_; }
  // The 64-byte signature of `message` (Ed25519 is deterministic: one message, one signature). Throws
  // std::runtime_error only if OpenSSL fails (out of memory).
  std::string sign(std::string_view message) const;

 private:
  SigningKey(std::string seed, std::string public_key);

  std::string seed_;
  std::string public_key_;
};

// True when `signature` (64 bytes) is `public_key`'s (32 bytes) signature of `message`. False for anything
// else, malformed input included (wrong sizes, a public key that is not a curve point); never throws, and
// leaves nothing in OpenSSL's error queue.
bool verify_signature(std::string_view public_key, std::string_view message, std::string_view signature);

}  // namespace quorum::cluster
