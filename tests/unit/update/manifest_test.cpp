#include "update/manifest.h"

#include <gtest/gtest.h>

#include "test_signer.h"
#include "update/release_key.h"

namespace quorum::update {
namespace {

const std::string kSha(64, 'a');

TEST(Manifest, ReadsVersionAndFiles) {
  std::string error;
  auto m = parse_manifest(R"({"version":"0.2.0","created":"2025-01-01T00:00:00Z","files":[{"name":")" +
                              std::string(kNodeBinaryName) + R"(","size":12,"sha256":")" + kSha + R"("}]})",
                          error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->version, "0.2.0");
  auto* f = find_file(*m, kNodeBinaryName);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->size, 12u);
  EXPECT_FALSE(find_file(*m, "other"));
}

TEST(Manifest, RefusesBadShapes) {
  std::string error;
  EXPECT_FALSE(parse_manifest("not json", error));
  EXPECT_FALSE(parse_manifest(R"({"version":"latest","files":[]})", error));
  EXPECT_FALSE(parse_manifest(R"({"version":"1.0.0"})", error));
  // A path instead of a name could write outside the install directory.
  EXPECT_FALSE(parse_manifest(
      R"({"version":"1.0.0","files":[{"name":"../x","size":1,"sha256":")" + kSha + "\"}]}", error));
  EXPECT_FALSE(parse_manifest(
      R"({"version":"1.0.0","files":[{"name":"x","size":-1,"sha256":")" + kSha + "\"}]}", error));
  EXPECT_FALSE(
      parse_manifest(R"({"version":"1.0.0","files":[{"name":"x","size":1,"sha256":"ABC"}]})", error));
  EXPECT_NE(error, "");
}

TEST(Manifest, SignatureOfTheKeyOnlyAndOfTheExactBytes) {
  testing::TestSigner key, other;
  const std::string message = R"({"version":"1.0.0","files":[]})";
  const std::string sig = key.sign(message);
  EXPECT_TRUE(signature_valid(message, sig, key.public_pem()));
  EXPECT_FALSE(signature_valid(message, sig, other.public_pem()));
  EXPECT_FALSE(signature_valid(message + " ", sig, key.public_pem()));
  std::string flipped = sig;
  flipped[0] ^= 1;
  EXPECT_FALSE(signature_valid(message, flipped, key.public_pem()));
  EXPECT_FALSE(signature_valid(message, sig.substr(0, 63), key.public_pem()));
  EXPECT_FALSE(signature_valid(message, sig, "not a key"));
}

TEST(Manifest, CompiledInKeyIsAnEd25519PublicKey) {
  // Any signature check against it fails cleanly, and it parses: a malformed key would refuse every release.
  EXPECT_TRUE(release_public_key_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
  EXPECT_FALSE(signature_valid("x", std::string(64, '\0'), release_public_key_pem()));
}

TEST(Manifest, Sha256MatchesKnownDigest) {
  Sha256 sha;
  sha.add("ab");
  sha.add("c");
  EXPECT_EQ(sha.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace quorum::update
