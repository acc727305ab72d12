// Headers: names and values in one text with an index; what callers see is the list of pairs they added.
#include "net/http_types.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace quorum::net {
namespace {

std::vector<std::pair<std::string, std::string>> listed(const Headers& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : headers.items()) out.emplace_back(name, value);
  return out;
}

TEST(Headers, KeepOrderAndRepeatsAndFindTheFirstValueByAnyCase) {
  Headers h;
  h.add("Content-Type", "application/json");
  h.add("X-Tag", "a");
  h.add("x-tag", "b");
  h.add("Empty", "");
  using List = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(listed(h),
            (List{{"Content-Type", "application/json"}, {"X-Tag", "a"}, {"x-tag", "b"}, {"Empty", ""}}));
  EXPECT_EQ(h.get("content-type"), "application/json");
  EXPECT_EQ(h.get("X-TAG"), "a");
  EXPECT_TRUE(h.has("empty"));
  EXPECT_FALSE(h.has("missing"));
  EXPECT_EQ(h.get("missing"), "");
  EXPECT_EQ(h.size(), 4u);
}

// A value taken from the headers themselves is copied whole even when adding it moves the text.
TEST(Headers, AddingAValueOfTheirOwnCopiesItBeforeTheTextMoves) {
  Headers h;
  h.add("A", std::string(40, 'a'));
  for (int i = 0; i < 20; ++i) h.add("Copy", h.get("A"));
  for (const auto& [name, value] : h.items()) EXPECT_EQ(value, std::string(40, 'a')) << name;
  EXPECT_EQ(h.size(), 21u);
}

// Views of a short header stay valid when the Headers move (the text is never in the string's own buffer);
// a copy is its own.
TEST(Headers, ViewsSurviveAMove) {
  Headers h;
  h.add("K", "v");
  const std::string_view value = h.get("K");
  Headers moved = std::move(h);
  EXPECT_EQ(value.data(), moved.get("K").data());
  EXPECT_EQ(value, "v");
  Headers copy = moved;
  EXPECT_EQ(listed(copy), listed(moved));
  copy.add("Only", "in the copy");
  EXPECT_FALSE(moved.has("Only"));
  EXPECT_EQ(copy.get("K"), "v");
}

}  // namespace
}  // namespace quorum::net
