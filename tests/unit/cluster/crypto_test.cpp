#include "cluster/crypto.h"

#include <gtest/gtest.h>

namespace quorum::cluster {
namespace {

TEST(Crypto, Sha256KnownValue) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, HkdfSha256Rfc5869Case1) {
  std::string salt, info;
  for (int i = 0; i <= 0x0c; ++i) salt.push_back(static_cast<char>(i));
  for (int i = 0xf0; i <= 0xf9; ++i) info.push_back(static_cast<char>(i));
  const std::string okm = hkdf_sha256(std::string(22, '\x0b'), salt, info, 42);
  std::string hex;
  for (unsigned char c : okm) hex += "0123456789abcdef"[c >> 4], hex += "0123456789abcdef"[c & 15];
  EXPECT_EQ(hex, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(Crypto, RandomHexHasTheLengthAskedAndDiffers) {
  auto a = random_hex(16);
  auto b = random_hex(16);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Crypto, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

TEST(Crypto, Base64UrlRoundTripsEveryLength) {
  std::string data;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(base64url_decode(base64url_encode(data)), data) << i;
    data += static_cast<char>(i * 37 + 250);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
}

TEST(Crypto, Base64UrlRefusesForeignCharacters) {
  EXPECT_EQ(base64url_decode("ab+c"), "");
  EXPECT_EQ(base64url_decode("ab=c"), "");
  EXPECT_EQ(base64url_decode("a"), "");
}

}  // namespace
}  // namespace quorum::cluster
