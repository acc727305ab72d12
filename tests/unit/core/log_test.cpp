// What a client or an engine chose, made safe for one log line (audit M4).
#include "core/log.h"

#include <gtest/gtest.h>

namespace quorum::log {
namespace {

TEST(Printable, PlainTextIsUnchanged) {
  EXPECT_EQ(printable("org/tiny-a:Q4_K_M"), "org/tiny-a:Q4_K_M");
  EXPECT_EQ(printable("caf\xC3\xA9 \xF0\x9F\x99\x82"), "caf\xC3\xA9 \xF0\x9F\x99\x82");
  EXPECT_EQ(printable(""), "");
}

// printable_as_is() holds exactly where printable() gives the text back as it is and a view may stand in
// for the rendered copy; it may say no to text that printable() keeps too (UTF-8 beyond ASCII).
TEST(Printable, AsIsOnlyWhereTheRenderingIsTheText) {
  for (std::string_view text :
       {std::string_view("org/tiny-a:Q4_K_M"), std::string_view(""), std::string_view("a\nb"),
        std::string_view("x\x7f"), std::string_view("bad \xC3")}) {
    if (printable_as_is(text)) EXPECT_EQ(printable(text), text);
  }
  EXPECT_TRUE(printable_as_is("org/tiny-a:Q4_K_M"));
  EXPECT_FALSE(printable_as_is("a\nb"));
  EXPECT_FALSE(printable_as_is("x\x7f"));
  EXPECT_FALSE(printable_as_is("caf\xC3\xA9"));
  EXPECT_TRUE(printable_as_is(std::string(128, 'm')));
  EXPECT_FALSE(printable_as_is(std::string(129, 'm')));
  EXPECT_TRUE(printable_as_is(std::string(10, 'm'), 10));
  EXPECT_FALSE(printable_as_is(std::string(11, 'm'), 10));
}

TEST(Printable, ControlCharactersAndInvalidBytesAreEscaped) {
  EXPECT_EQ(printable("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(printable(std::string("x\0y\x1b[31m\x7f", 9)), "x\\x00y\\x1B[31m\\x7F");
  EXPECT_EQ(printable("bad \xC3 \xFF end"), "bad \\xC3 \\xFF end");
}

TEST(Printable, LongTextIsCutAtACharacterBoundaryWithAnEllipsis) {
  std::string name(10000, 'm');
  name[5000] = '\n';
  std::string out = printable(name);
  EXPECT_EQ(out, std::string(128, 'm') + "\xE2\x80\xA6");
  EXPECT_EQ(out.find('\n'), std::string::npos);
  // A multi-byte character that would cross the cap is left out whole.
  std::string out2 = printable(std::string(127, 'a') + "\xC3\xA9" + "zzz");
  EXPECT_EQ(out2, std::string(127, 'a') + "\xE2\x80\xA6");
  // So is an escape.
  EXPECT_EQ(printable(std::string(126, 'a') + "\n", 127), std::string(126, 'a') + "\xE2\x80\xA6");
  EXPECT_EQ(printable(std::string(128, 'a')), std::string(128, 'a'));
  EXPECT_LE(printable(std::string(100000, '\x01')).size(), kMaxPrintable + 3);
}

}  // namespace
}  // namespace quorum::log
