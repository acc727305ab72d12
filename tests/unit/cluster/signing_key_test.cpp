#include "cluster/signing_key.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <string>

namespace quorum::cluster {
namespace {

std::string from_hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

// RFC 8032, section 7.1, TEST 1: the empty message.
constexpr std::string_view kRfcSeed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kRfcPublic = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kRfcSignature =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0"
    "595bbe24"
    "655141438e7a100b";

TEST(SigningKey, Rfc8032TestVector1) {
  auto key = SigningKey::from_seed(from_hex(kRfcSeed));
  ASSERT_TRUE(key);
  EXPECT_EQ(key->public_key(), from_hex(kRfcPublic));
  EXPECT_EQ(key->sign(""), from_hex(kRfcSignature));
  EXPECT_TRUE(verify_signature(from_hex(kRfcPublic), "", from_hex(kRfcSignature)));
}

TEST(SigningKey, SignedMessagesVerifyWithThePublicKey) {
  auto key = SigningKey::generate();
  EXPECT_EQ(key.seed().size(), 32u);
  EXPECT_EQ(key.public_key().size(), 32u);
  const std::string message = std::string("quorum-relay-auth-v1") + '\0' + "challenge";
  auto signature = key.sign(message);
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_TRUE(verify_signature(key.public_key(), message, signature));
}

TEST(SigningKey, AnAlteredMessageSignatureOrKeyIsRefused) {
  auto key = SigningKey::generate();
  const std::string message = "hello relay";
  const auto signature = key.sign(message);

  EXPECT_FALSE(verify_signature(key.public_key(), "hello relaz", signature));
  EXPECT_FALSE(verify_signature(key.public_key(), message + "!", signature));
  for (size_t i = 0; i < signature.size(); i += 7) {
    std::string bad = signature;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(verify_signature(key.public_key(), message, bad)) << "byte " << i;
  }
  EXPECT_FALSE(verify_signature(SigningKey::generate().public_key(), message, signature));
  std::string other_key = key.public_key();
  other_key[5] = static_cast<char>(other_key[5] ^ 0x40);
  EXPECT_FALSE(verify_signature(other_key, message, signature));
}

TEST(SigningKey, MalformedInputIsRefusedWithoutThrowingOrLeavingErrors) {
  auto key = SigningKey::generate();
  const auto signature = key.sign("m");
  EXPECT_FALSE(verify_signature("", "m", signature));
  EXPECT_FALSE(verify_signature(key.public_key().substr(1), "m", signature));
  EXPECT_FALSE(verify_signature(key.public_key() + "x", "m", signature));
  EXPECT_FALSE(verify_signature(key.public_key(), "m", signature.substr(0, 63)));
  EXPECT_FALSE(verify_signature(key.public_key(), "m", signature + "x"));
  EXPECT_FALSE(verify_signature(key.public_key(), "m", ""));
  EXPECT_FALSE(verify_signature(std::string(32, '\xff'), "m", signature));  // not a point of the curve
  EXPECT_FALSE(verify_signature(std::string(32, '\0'), "m", std::string(64, '\0')));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(SigningKey, FromSeedIsDeterministicAndRoundTripsTheSeed) {
  const std::string seed(32, '\x2a');
  auto a = SigningKey::from_seed(seed);
  auto b = SigningKey::from_seed(seed);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->public_key(), b->public_key());
  EXPECT_EQ(a->sign("x"), b->sign("x"));
  EXPECT_EQ(a->seed(), seed);

  auto generated = SigningKey::generate();
  auto again = SigningKey::from_seed(generated.seed());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key(), generated.public_key());

  EXPECT_NE(SigningKey::from_seed(std::string(32, '\x2b'))->public_key(), a->public_key());
  EXPECT_FALSE(SigningKey::from_seed(std::string(31, '\x2a')));
  EXPECT_FALSE(SigningKey::from_seed(std::string(33, '\x2a')));
  EXPECT_FALSE(SigningKey::from_seed(""));
}

TEST(SigningKey, CopiesAndAssignmentsKeepTheKey) {
  auto key = SigningKey::generate();
  const auto public_key = key.public_key();
  SigningKey copy = key;
  SigningKey other = SigningKey::generate();
  other = copy;
  EXPECT_EQ(other.public_key(), public_key);
  other = SigningKey::generate();
  EXPECT_NE(other.public_key(), public_key);
  SigningKey moved = std::move(copy);
  EXPECT_TRUE(verify_signature(public_key, "m", moved.sign("m")));
}

}  // namespace
}  // namespace quorum::cluster
