#include "cluster/signing_key.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <utility>

namespace quorum::cluster {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Pkey private_key(std::string_view seed) {
  return Pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(seed), seed.size()));
}

}  // namespace

SigningKey::SigningKey(std::string seed, std::string public_key)
    : seed_(std::move(seed)), public_key_(std::move(public_key)) {}

SigningKey& SigningKey::operator=(SigningKey other) noexcept {
  seed_.swap(other.seed_);
  public_key_.swap(other.public_key_);
  return *this;
}

SigningKey::~SigningKey() {
  if (!seed_.empty()) OPENSSL_cleanse(seed_.data(), seed_.size());
}

SigningKey SigningKey::generate() {
  std::string seed(kSeedSize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()), static_cast<int>(seed.size())) != 1)
    std::abort();
  auto key = from_seed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  if (!key) std::abort();  // a 32-byte seed always makes a key, unless memory ran out
  return *std::move(key);
}

std::optional<SigningKey> SigningKey::from_seed(std::string_view seed) {
  if (seed.size() != kSeedSize) return std::nullopt;
  Pkey pkey = private_key(seed);
  std::string public_key(kPublicKeySize, '\0');
  size_t length = public_key.size();
  if (!pkey ||
      EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char*>(public_key.data()), &length) !=
          1 ||
      length != kPublicKeySize) {
    ERR_clear_error();
    return std::nullopt;
  }
  return SigningKey(std::string(seed), std::move(public_key));
}

std::string SigningKey::sign(std::string_view message) const {
  Pkey pkey = private_key(seed_);
  MdCtx ctx(EVP_MD_CTX_new());
  std::string signature(kSignatureSize, '\0');
  size_t length = signature.size();
  // Ed25519 hashes the message itself: no digest is named, and the message goes in one call.
  if (!pkey || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, bytes(message),
                     message.size()) != 1 ||
      length != kSignatureSize) {
    ERR_clear_error();
    throw std::runtime_error("Ed25519 signing failed");
  }
  return signature;
}

bool verify_signature(std::string_view public_key, std::string_view message, std::string_view signature) {
  if (public_key.size() != SigningKey::kPublicKeySize || signature.size() != SigningKey::kSignatureSize) {
    return false;
  }
  Pkey pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(public_key), public_key.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  const bool ok =
      pkey && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(message), message.size()) == 1;
  // A refused signature leaves an error behind; another OpenSSL user on this thread (TLS) must not read it.
  ERR_clear_error();
  return ok;
}

}  // namespace quorum::cluster
