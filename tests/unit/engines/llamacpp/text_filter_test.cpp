// The streaming text filter: whole UTF-8 characters only, and no part of a stop string ever emitted.
#include "engines/llamacpp/text_filter.h"

#include <gtest/gtest.h>

#include <random>

#include "wire/utf8.h"

namespace quorum::engines::llamacpp {
namespace {

const std::string kE = "\xC3\xA9";                // é
const std::string kEmoji = "\xF0\x9F\x99\x82";    // 🙂
const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Feeds the pieces and returns what each feed emitted.
std::vector<std::string> feed_all(TextFilter& f, const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  for (const auto& p : pieces) out.push_back(f.feed(p).text);
  return out;
}

using Texts = std::vector<std::string>;

TEST(TextFilter, StopSplitOverThreePieces) {
  TextFilter f({"</s>"});
  EXPECT_EQ(feed_all(f, {"Hello <", "/", "s>ignored"}), (Texts{"Hello ", "", ""}));
  EXPECT_TRUE(f.stopped());
  EXPECT_EQ(f.flush(), "");
}

TEST(TextFilter, FalseStartIsReleasedOnceDisproved) {
  TextFilter f({"abc"});
  auto first = f.feed("ab");
  EXPECT_EQ(first.text, "");
  EXPECT_FALSE(first.stopped);
  auto second = f.feed("ac");
  EXPECT_EQ(second.text, "abac");
  EXPECT_FALSE(second.stopped);
  EXPECT_EQ(f.flush(), "");
}

TEST(TextFilter, FalseStartWhosePartIsANewCandidate) {
  TextFilter f({"abc"});
  EXPECT_EQ(f.feed("ab").text, "");
  EXPECT_EQ(f.feed("a").text, "ab");  // "a" may still start "abc"
  auto out = f.feed("bc");
  EXPECT_EQ(out.text, "");
  EXPECT_TRUE(out.stopped);
}

TEST(TextFilter, StopAtTheVeryBeginning) {
  TextFilter whole({"abc"});
  auto out = whole.feed("abcdef");
  EXPECT_EQ(out.text, "");
  EXPECT_TRUE(out.stopped);

  TextFilter split({"abc"});
  EXPECT_EQ(split.feed("a").text, "");
  out = split.feed("bc");
  EXPECT_EQ(out.text, "");
  EXPECT_TRUE(out.stopped);
}

TEST(TextFilter, OverlappingCandidates) {
  TextFilter f({"aab"});
  EXPECT_EQ(feed_all(f, {"a", "a", "a"}), (Texts{"", "", "a"}));
  auto out = f.feed("b");
  EXPECT_EQ(out.text, "");
  EXPECT_TRUE(out.stopped);

  TextFilter whole({"aab"});
  out = whole.feed("aaab");
  EXPECT_EQ(out.text, "a");
  EXPECT_TRUE(out.stopped);
}

TEST(TextFilter, TheStopThatEndsFirstWins) {
  // "bc" is complete before "abcd" could be, so the text stops at "bc" however it is split.
  TextFilter whole({"abcd", "bc"});
  auto out = whole.feed("xabcd");
  EXPECT_EQ(out.text, "xa");
  EXPECT_TRUE(out.stopped);

  TextFilter split({"abcd", "bc"});
  EXPECT_EQ(feed_all(split, {"x", "a", "b"}), (Texts{"x", "", ""}));
  out = split.feed("c");
  EXPECT_EQ(out.text, "a");
  EXPECT_TRUE(out.stopped);
}

TEST(TextFilter, WhenTwoStopsEndTogetherTheLongerIsCut) {
  TextFilter f({"b", "ab"});
  auto out = f.feed("xab");
  EXPECT_EQ(out.text, "x");
  EXPECT_TRUE(out.stopped);
}

TEST(TextFilter, MultibyteCharactersSplitAcrossPieces) {
  TextFilter e({});
  EXPECT_EQ(feed_all(e, {"caf", "\xC3", "\xA9", "!"}), (Texts{"caf", "", kE, "!"}));

  TextFilter emoji({"zzz"});
  EXPECT_EQ(feed_all(emoji, {"a", "\xF0", "\x9F", "\x99", "\x82", "b"}),
            (Texts{"a", "", "", "", kEmoji, "b"}));
  EXPECT_EQ(emoji.flush(), "");
}

TEST(TextFilter, StopContainingAMultibyteCharacter) {
  TextFilter f({kE + "!"});
  EXPECT_EQ(feed_all(f, {"caf", "\xC3", "\xA9"}), (Texts{"caf", "", ""}));
  auto out = f.feed("!more");
  EXPECT_EQ(out.text, "");
  EXPECT_TRUE(out.stopped);

  TextFilter released({kE + "!"});
  EXPECT_EQ(feed_all(released, {"caf", "\xC3", "\xA9", "?"}), (Texts{"caf", "", "", kE + "?"}));
}

TEST(TextFilter, StopThatIsOnlyAnEmojiSplitInFourPieces) {
  TextFilter f({kEmoji});
  EXPECT_EQ(feed_all(f, {"hi ", "\xF0", "\x9F", "\x99"}), (Texts{"hi ", "", "", ""}));
  auto out = f.feed("\x82 bye");
  EXPECT_EQ(out.text, "");
  EXPECT_TRUE(out.stopped);
}

TEST(TextFilter, FlushReleasesAHeldBackPartialStop) {
  TextFilter f({"abc"});
  EXPECT_EQ(f.feed("xab").text, "x");
  EXPECT_EQ(f.flush(), "ab");
  EXPECT_FALSE(f.stopped());
}

TEST(TextFilter, FlushReplacesAnIncompleteCharacter) {
  TextFilter f({"abc"});
  EXPECT_EQ(f.feed("a\xE4\xB8").text, "");
  EXPECT_EQ(f.flush(), "a" + kReplacement + kReplacement);
}

TEST(TextFilter, InvalidBytesBecomeReplacementCharacters) {
  TextFilter f({"zz"});
  EXPECT_EQ(f.feed("a\xFF"
                   "b")
                .text,
            "a" + kReplacement + "b");
}

TEST(TextFilter, NothingAfterAStop) {
  TextFilter f({"STOP"});
  auto out = f.feed("doneSTOPafter");
  EXPECT_EQ(out.text, "done");
  EXPECT_TRUE(out.stopped);
  for (std::string_view more : {"x", "STOP", "\xC3", ""}) {
    auto later = f.feed(more);
    EXPECT_EQ(later.text, "");
    EXPECT_TRUE(later.stopped);
  }
  EXPECT_EQ(f.flush(), "");
  EXPECT_TRUE(f.stopped());
}

TEST(TextFilter, EmptyStopStringsAreIgnored) {
  TextFilter f({"", "q"});
  EXPECT_EQ(f.feed("abc").text, "abc");
  EXPECT_EQ(f.feed("xqy").text, "x");
}

TEST(TextFilter, WithoutStopsItIsUtf8Carry) {
  const std::string text = "a" + kE + "\xE4\xB8\x96" + kEmoji + "\xFF" + "z\xF0\x9F";
  for (size_t cut1 = 0; cut1 <= text.size(); ++cut1) {
    for (size_t cut2 = cut1; cut2 <= text.size(); ++cut2) {
      TextFilter f({});
      wire::Utf8Carry carry;
      for (auto piece : {text.substr(0, cut1), text.substr(cut1, cut2 - cut1), text.substr(cut2)}) {
        auto out = f.feed(piece);
        EXPECT_EQ(out.text, carry.take(piece));
        EXPECT_FALSE(out.stopped);
      }
      EXPECT_EQ(f.flush(), carry.flush());
    }
  }
}

// Reference on the whole text: cut before the stop occurrence that ends first (the longest if several end
// at the same byte).
std::pair<std::string, bool> reference_cut(const std::string& text, const std::vector<std::string>& stops) {
  for (size_t end = 1; end <= text.size(); ++end) {
    size_t longest = 0;
    for (const auto& s : stops) {
      if (!s.empty() && s.size() <= end && text.compare(end - s.size(), s.size(), s) == 0) {
        longest = std::max(longest, s.size());
      }
    }
    if (longest > 0) return {text.substr(0, end - longest), true};
  }
  return {text, false};
}

// The longest suffix of `text` that is a proper prefix of some stop string.
size_t reference_hold(const std::string& text, const std::vector<std::string>& stops) {
  size_t hold = 0;
  for (const auto& s : stops) {
    for (size_t k = std::min(text.size(), s.size() - 1); k > hold; --k) {
      if (text.compare(text.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
    }
  }
  return hold;
}

TEST(TextFilter, RandomTextsAndSplitsMatchTheReference) {
  // Valid UTF-8 from a small alphabet so that stops, partial matches and overlaps are frequent.
  const std::vector<std::string> alphabet = {"a", "b", kE, kEmoji};
  std::mt19937 rng(12345);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  auto random_text = [&](size_t chars) {
    std::string s;
    for (size_t i = 0; i < chars; ++i) s += alphabet[pick(alphabet.size())];
    return s;
  };
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> stops;
    for (size_t i = 0, n = pick(3); i < n; ++i) stops.push_back(random_text(1 + pick(4)));
    const std::string text = random_text(pick(24));

    TextFilter f(stops);
    std::string emitted;
    bool stopped = false;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t len = std::min(text.size() - pos, 1 + pick(5));
      auto out = f.feed(std::string_view(text).substr(pos, len));
      pos += len;
      EXPECT_EQ(wire::utf8_complete_prefix(out.text), out.text.size());
      EXPECT_EQ(wire::sanitize_utf8(out.text), out.text);
      ASSERT_FALSE(stopped && !out.text.empty());
      emitted += out.text;
      stopped = out.stopped;
      if (stopped) continue;
      // Everything seen is emitted except an incomplete character and a possible start of a stop string.
      std::string seen = text.substr(0, wire::utf8_complete_prefix(text.substr(0, pos)));
      ASSERT_EQ(emitted, seen.substr(0, seen.size() - reference_hold(seen, stops)))
          << "round " << round << " pos " << pos;
    }
    std::string rest = f.flush();
    EXPECT_TRUE(!stopped || rest.empty());
    emitted += rest;
    auto [expected, expect_stop] = reference_cut(text, stops);
    ASSERT_EQ(emitted, expected) << "round " << round;
    EXPECT_EQ(f.stopped(), expect_stop) << "round " << round;
  }
}

TEST(TextFilter, LongOutputInTinyPiecesWithALongStop) {
  // A worst case for naive re-scanning: every byte extends a partial match that then fails.
  std::string stop(63, 'a');
  stop.push_back('b');
  TextFilter f({stop});
  std::string emitted;
  for (int i = 0; i < 200000; ++i) emitted += f.feed("a").text;
  EXPECT_EQ(emitted.size(), 200000u - 63);
  auto out = f.feed("b");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(emitted.size() + out.text.size(), 200000u - 63);
}

}  // namespace
}  // namespace quorum::engines::llamacpp
