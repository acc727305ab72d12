#include "auth/api_key.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

namespace quorum::auth::api_key {
namespace {

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool all_base62(std::string_view s) {
  return s.find_first_not_of(kBase62) == std::string_view::npos;
}

TEST(ApiKey, Crc32IsZlibs) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32(""), 0u);
}

// The expected texts were computed apart from this code (Python's zlib.crc32 and its own base62).
TEST(ApiKey, TheCheckIsCrc32InSixBase62Characters) {
  const std::string zeros(kSecretLength, '0');
  EXPECT_EQ(compose(Kind::key, "AAAAAAAAAAAA", zeros),
            "qk_AAAAAAAAAAAA_00000000000000000000000000000000000000000002D2zd2");
  EXPECT_EQ(compose(Kind::enrol_token, "0123456789ab", std::string(kSecretLength, 'z')),
            "qe_0123456789ab_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz2xrEVL");
  auto parsed = parse("qk_AAAAAAAAAAAA_00000000000000000000000000000000000000000002D2zd2");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->id, "AAAAAAAAAAAA");
  EXPECT_EQ(parsed->secret, zeros);
}

TEST(ApiKey, GeneratedKeysHaveTheFormatAndParseBack) {
  std::set<std::string> ids;
  bool padded = false;
  for (int i = 0; i < 300; ++i) {
    auto key = generate();
    ASSERT_EQ(key.text.size(), kTextLength);
    EXPECT_EQ(key.text.substr(0, 3), "qk_");
    EXPECT_EQ(key.text[15], '_');
    EXPECT_TRUE(all_base62(key.text.substr(3, 12)) && all_base62(key.text.substr(16))) << key.text;
    auto parsed = parse(key.text);
    ASSERT_TRUE(parsed) << key.text;
    EXPECT_EQ(parsed->id, key.id);
    EXPECT_EQ(parsed->secret.size(), kSecretLength);
    EXPECT_EQ(secret_hash(parsed->secret), key.secret_hash);
    EXPECT_TRUE(matches(parsed->secret, key.secret_hash));
    EXPECT_EQ(key.text.find(key.secret_hash), std::string::npos);
    // 2^256 - 1 is "yhjs…" in 43 digits: the first digit is at most 'y', and '0' when the number is short.
    EXPECT_LE(kBase62.find(parsed->secret[0]), 60u);
    padded = padded || parsed->secret[0] == '0';
    ids.insert(key.id);
  }
  EXPECT_EQ(ids.size(), 300u);
  (void)padded;  // '0' first appears about once in 61 keys; not asserted (random)
}

TEST(ApiKey, EnrolmentTokensAndKeysAreNotInterchangeable) {
  auto token = generate(Kind::enrol_token);
  EXPECT_EQ(token.text.substr(0, 3), "qe_");
  EXPECT_TRUE(parse(token.text, Kind::enrol_token));
  EXPECT_FALSE(parse(token.text, Kind::key));
  auto key = generate(Kind::key);
  EXPECT_FALSE(parse(key.text, Kind::enrol_token));
  // Only the prefix changed: the check covers it too.
  std::string relabelled = key.text;
  relabelled[1] = 'e';
  EXPECT_FALSE(parse(relabelled, Kind::enrol_token));
}

TEST(ApiKey, MatchesOnlyTheRightSecret) {
  auto key = generate();
  auto parsed = parse(key.text);
  ASSERT_TRUE(parsed);
  std::string wrong = parsed->secret;
  wrong[7] = wrong[7] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(matches(wrong, key.secret_hash));
  EXPECT_FALSE(matches(parsed->secret, ""));
  EXPECT_FALSE(matches(parsed->secret, key.secret_hash.substr(1)));
  EXPECT_EQ(secret_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKey, MalformedTextsAreRefused) {
  const std::string text = generate().text;
  EXPECT_FALSE(parse(""));
  EXPECT_FALSE(parse("qk_"));
  EXPECT_FALSE(parse(text.substr(0, kTextLength - 1)));
  EXPECT_FALSE(parse(text + "0"));
  EXPECT_FALSE(parse(" " + text));
  EXPECT_FALSE(parse(text + "\n"));
  EXPECT_FALSE(parse("Bearer " + text));
  EXPECT_FALSE(parse("QK_" + text.substr(3)));
  std::string no_separator = text;
  no_separator[15] = 'x';
  EXPECT_FALSE(parse(no_separator));
  std::string dashed = text;
  dashed[20] = '-';
  EXPECT_FALSE(parse(dashed));
  std::string nul = text;
  nul[30] = '\0';
  EXPECT_FALSE(parse(nul));
  EXPECT_FALSE(parse(std::string(1 << 20, 'q')));
}

// Every single-character change (a typo) and every swap of two neighbours is refused: CRC-32 catches each
// burst of up to 32 bits, and the check's digits are a canonical number.
TEST(ApiKey, EveryTypoAndNeighbourSwapIsRefused) {
  for (int round = 0; round < 8; ++round) {
    const std::string text = generate(round % 2 ? Kind::enrol_token : Kind::key).text;
    const Kind kind = round % 2 ? Kind::enrol_token : Kind::key;
    for (size_t at = 0; at < text.size(); ++at) {
      for (char c : std::string(kBase62) + "_-+/= \x7f\xc3") {
        if (c == text[at]) continue;
        std::string typo = text;
        typo[at] = c;
        EXPECT_FALSE(parse(typo, kind)) << typo;
      }
      if (at + 1 < text.size() && text[at] != text[at + 1]) {
        std::string swapped = text;
        std::swap(swapped[at], swapped[at + 1]);
        EXPECT_FALSE(parse(swapped, kind)) << swapped;
      }
    }
  }
}

// Random edits (replace, insert, delete, truncate, duplicate) of real keys: parse never throws, and whatever
// it accepts is exactly the text of the id and secret it returned, checked by an independent CRC.
TEST(ApiKey, MutatedKeysNeverParseToSomethingElse) {
  std::mt19937 rng(12345);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const std::string alphabet = std::string(kBase62) + std::string("_-\0\n\xff qkeQK", 11);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = generate(i % 3 ? Kind::key : Kind::enrol_token).text;
    const Kind kind = pick(2) ? Kind::key : Kind::enrol_token;
    const size_t edits = pick(4);
    for (size_t e = 0; e < edits; ++e) {
      switch (pick(5)) {
        case 0:
          if (!text.empty()) text[pick(text.size())] = alphabet[pick(alphabet.size())];
          break;
        case 1:
          text.insert(text.begin() + static_cast<long>(pick(text.size() + 1)),
                      alphabet[pick(alphabet.size())]);
          break;
        case 2:
          if (!text.empty()) text.erase(text.begin() + static_cast<long>(pick(text.size())));
          break;
        case 3:
          text.resize(pick(text.size() + 1));
          break;
        default:
          text += text.substr(0, pick(text.size() + 1));
      }
    }
    auto parsed = parse(text, kind);
    if (!parsed) continue;
    ++accepted;
    EXPECT_EQ(compose(kind, parsed->id, parsed->secret), text);
    EXPECT_TRUE(all_base62(parsed->id) && parsed->id.size() == kIdLength);
    EXPECT_TRUE(all_base62(parsed->secret) && parsed->secret.size() == kSecretLength);
  }
  // Unedited keys of the right kind (about one in eight rounds) are accepted; edited ones essentially never.
  EXPECT_GT(accepted, 1000);
  EXPECT_LT(accepted, 5000);
}

TEST(ApiKey, RedactedShowsTheIdAndNothingOfTheSecret) {
  auto key = generate();
  auto parsed = parse(key.text);
  ASSERT_TRUE(parsed);
  const std::string shown = redacted(key.text);
  EXPECT_EQ(shown, "qk_" + key.id + "_\xE2\x80\xA6");
  EXPECT_EQ(shown.find(parsed->secret.substr(0, 4)), std::string::npos);
  auto token = generate(Kind::enrol_token);
  EXPECT_EQ(redacted(token.text), "qe_" + token.id + "_\xE2\x80\xA6");
  // A mistyped key still names its id; what is not shaped like a key shows nothing of itself.
  std::string typo = key.text;
  typo[40] = typo[40] == 'a' ? 'b' : 'a';
  EXPECT_EQ(redacted(typo), shown);
  EXPECT_EQ(redacted(key.text.substr(0, 16)), shown);
  EXPECT_EQ(redacted("sk-proj-abcdefghijklmnopqrstuvwxyz"), "(malformed key)");
  EXPECT_EQ(redacted(key.text.substr(0, 15)), "(malformed key)");
  EXPECT_EQ(redacted(""), "(malformed key)");
  EXPECT_EQ(redacted("qk_abc-defghijk_" + parsed->secret), "(malformed key)");
}

}  // namespace
}  // namespace quorum::auth::api_key
