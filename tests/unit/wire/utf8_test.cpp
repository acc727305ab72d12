#include "wire/utf8.h"

#include <gtest/gtest.h>

namespace quorum::wire {
namespace {

const std::string kMixed = "a\xC3\xA9\xE4\xB8\x96\xF0\x9F\x99\x82z";  // a é 世 🙂 z

TEST(Utf8Carry, EverySplitRejoinsAndNoPieceEndsMidCharacter) {
  for (size_t cut1 = 0; cut1 <= kMixed.size(); ++cut1) {
    for (size_t cut2 = cut1; cut2 <= kMixed.size(); ++cut2) {
      Utf8Carry carry;
      std::string joined;
      for (auto piece : {kMixed.substr(0, cut1), kMixed.substr(cut1, cut2 - cut1), kMixed.substr(cut2)}) {
        std::string out = carry.take(piece);
        EXPECT_EQ(utf8_complete_prefix(out), out.size());
        EXPECT_EQ(sanitize_utf8(out), out);
        joined += out;
      }
      joined += carry.flush();
      EXPECT_EQ(joined, kMixed) << cut1 << "," << cut2;
    }
  }
}

TEST(Utf8, CompletePrefix) {
  EXPECT_EQ(utf8_complete_prefix("ab"), 2u);
  EXPECT_EQ(utf8_complete_prefix("a\xC3"), 1u);
  EXPECT_EQ(utf8_complete_prefix("a\xF0\x9F\x99"), 1u);
  EXPECT_EQ(utf8_complete_prefix("a\xF0\x9F\x99\x82"), 5u);
  EXPECT_EQ(utf8_complete_prefix("a\x80"), 2u);  // a stray continuation byte holds nothing back
}

TEST(Utf8, SanitizeReplacesInvalidBytes) {
  EXPECT_EQ(sanitize_utf8("ok"), "ok");
  EXPECT_EQ(sanitize_utf8("a\xFFz"), "a\xEF\xBF\xBDz");
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(sanitize_utf8("x\xE4\xB8"), "x\xEF\xBF\xBD\xEF\xBF\xBD");                // truncated at the end
}

TEST(Utf8Carry, FlushReplacesAnIncompleteTail) {
  Utf8Carry c;
  EXPECT_EQ(c.take("ab\xE4\xB8"), "ab");
  EXPECT_FALSE(c.empty());
  EXPECT_EQ(c.flush(), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace quorum::wire
