// The ids the node makes for completions and requests: random letters of one alphabet, never repeated.
#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>

#include "node/api/responses.h"

namespace quorum::node::api {
namespace {

constexpr std::string_view kAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

TEST(RandomToken, HasTheLengthAskedAndOnlyLettersAndDigits) {
  for (size_t length : {0, 1, 7, 8, 9, 24, 100}) {
    const std::string token = random_token(length);
    EXPECT_EQ(token.size(), length);
    EXPECT_EQ(token.find_first_not_of(kAlphabet), std::string::npos) << token;
  }
}

TEST(RandomToken, EveryPositionTakesEveryLetterAboutEvenlyAndNoTokenRepeats) {
  constexpr size_t kLength = 24;
  constexpr int kTokens = 62 * 400;
  std::array<std::array<int, 62>, kLength> counts{};
  std::set<std::string> seen;
  for (int i = 0; i < kTokens; ++i) {
    const std::string token = random_token(kLength);
    EXPECT_TRUE(seen.insert(token).second) << token;
    for (size_t p = 0; p < kLength; ++p) ++counts[p][kAlphabet.find(token[p])];
  }
  // 400 expected per letter and position; a letter outside 250..550 (7.5 standard deviations) is a bias, not
  // chance: a position that repeats another's draw or a digit that is always the same shows up at once.
  for (size_t p = 0; p < kLength; ++p) {
    for (int letter = 0; letter < 62; ++letter) {
      EXPECT_GT(counts[p][letter], 250) << "position " << p << ", letter " << kAlphabet[letter];
      EXPECT_LT(counts[p][letter], 550) << "position " << p << ", letter " << kAlphabet[letter];
    }
  }
}

}  // namespace
}  // namespace quorum::node::api
