// JSON string tokens written and read without a JSON value: byte for byte what boost::json does.
#include "wire/json_string.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace quorum::wire {
namespace {

std::string encoded(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(JsonString, EscapesExactlyAsBoostJsonSerializes) {
  std::string every_byte_below_0x80;
  for (int c = 0; c < 0x80; ++c) every_byte_below_0x80 += static_cast<char>(c);
  for (std::string_view text : {std::string_view(""), std::string_view("plain"), std::string_view("q\"b\\s/"),
                                std::string_view("\xC3\xA9 \xF0\x9F\x99\x82 \xE2\x80\xA8"),
                                std::string_view(every_byte_below_0x80)}) {
    EXPECT_EQ(encoded(text), boost::json::serialize(boost::json::value(text))) << text;
  }
  EXPECT_EQ(encoded("a\nb\x01"), "\"a\\nb\\u0001\"");
}

// The plain runs between escapes are found 16 bytes at a time: an escaped byte anywhere against those blocks,
// alone or next to another, is written as boost::json writes it.
TEST(JsonString, EscapesWhereverTheByteFallsInABlock) {
  for (size_t length = 1; length <= 40; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (char special : {'"', '\\', '\n', '\x1f', '\0'}) {
        std::string text(length, 'a');
        text[at] = special;
        if (at + 1 < length) text[at + 1] = '\\';
        ASSERT_EQ(encoded(text), boost::json::serialize(boost::json::value(text))) << length << " " << at;
      }
    }
  }
}

TEST(JsonString, CleanTokensAreWellFormedValidUnicode) {
  EXPECT_TRUE(is_clean_json_string("\"\""));
  EXPECT_TRUE(is_clean_json_string("\"h\xC3\xA9 \\u00e9 \\ud83d\\ude42 \\/ \\\" \\\\ \\b\\f\\n\\r\\t\""));
  EXPECT_FALSE(is_clean_json_string("\"unterminated"));
  EXPECT_FALSE(is_clean_json_string("x"));
  EXPECT_FALSE(is_clean_json_string("\"raw\nnewline\""));
  EXPECT_FALSE(is_clean_json_string("\"bad escape \\x41\""));
  EXPECT_FALSE(is_clean_json_string("\"short \\u00e\""));
  EXPECT_FALSE(is_clean_json_string("\"lone high \\ud83d\""));
  EXPECT_FALSE(is_clean_json_string("\"lone high then text \\ud83dx\""));
  EXPECT_FALSE(is_clean_json_string("\"lone low \\ude42\""));
  EXPECT_FALSE(is_clean_json_string("\"cut \xF0\x9F\""));
  EXPECT_FALSE(is_clean_json_string("\"overlong \xC0\xAF\""));
  EXPECT_FALSE(is_clean_json_string("\"ends in a backslash \\\""));
  // Well-formed but not valid UTF-8: what a parser that allows invalid UTF-8 takes.
  EXPECT_TRUE(json_string_well_formed("\"cut \xF0\x9F\""));
  EXPECT_FALSE(json_string_well_formed("\"lone low \\ude42\""));
}

// The one-pass check for printable ASCII: true exactly for `"`, bytes 0x20-0x7F other than `"` and `\`, then
// `"` (wherever the other byte falls against the 16-byte blocks it is read in), and then the token is clean.
TEST(JsonString, PlainAsciiTokensAreFoundInOnePass) {
  for (size_t length = 0; length <= 40; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (int b = 0; b < 256; ++b) {
        std::string token = "\"" + std::string(length, 'x') + "\"";
        token[1 + at] = static_cast<char>(b);
        const bool plain = b >= 0x20 && b < 0x80 && b != '"' && b != '\\';
        ASSERT_EQ(is_plain_ascii_string(token), plain)
            << "length " << length << " byte " << b << " at " << at;
        if (plain) {
          ASSERT_TRUE(json_string_well_formed(token));
          ASSERT_EQ(decode_json_string(token), token.substr(1, length));
        }
      }
    }
  }
  EXPECT_TRUE(is_plain_ascii_string("\"\""));
  EXPECT_FALSE(is_plain_ascii_string("\""));
  EXPECT_FALSE(is_plain_ascii_string("x"));
  EXPECT_FALSE(is_plain_ascii_string("\"unterminated"));
  EXPECT_FALSE(is_plain_ascii_string("\"inner\" quote\""));
  // Clean but not plain: the full check still says so.
  EXPECT_FALSE(is_plain_ascii_string("\"h\xC3\xA9\""));
  EXPECT_TRUE(is_clean_json_string("\"h\xC3\xA9\""));
}

TEST(JsonString, DecodesToTheText) {
  EXPECT_EQ(decode_json_string("\"h\\u00e9 \\ud83d\\ude42\\n\""), "h\xC3\xA9 \xF0\x9F\x99\x82\n");
  EXPECT_EQ(decode_json_string(encoded("a\"b\\c\x1f")), "a\"b\\c\x1f");
}

}  // namespace
}  // namespace quorum::wire
