// The key list a relay pushes to its nodes (and a node keeps in keys.json): what parse() accepts is what
// to_json() writes back, and a list with a key a node could never match is refused whole.
#include "auth/key_book.h"

#include <gtest/gtest.h>

#include <string>

namespace quorum::auth {
namespace {

const std::string kHash(64, 'a');

TEST(KeyBook, AListSurvivesToJsonAndBack) {
  std::vector<KeyEntry> keys{{"k1", kHash, {"m0", "m1"}, 1'764'500'000, false}, {"k2", kHash, {}, {}, true}};
  auto again = KeyBook::parse(KeyBook::to_json(keys));
  ASSERT_TRUE(again);
  ASSERT_EQ(again->size(), 2u);
  EXPECT_EQ((*again)[0].id, "k1");
  EXPECT_EQ((*again)[0].models, (std::vector<std::string>{"m0", "m1"}));
  EXPECT_EQ((*again)[0].expires_at, 1'764'500'000);
  EXPECT_TRUE((*again)[1].revoked);
  EXPECT_FALSE((*again)[1].expires_at);
}

// Found by fuzz/relay_link.cpp (docs/reliability.md F7): a key with an empty id was taken in.
TEST(KeyBook, AKeyWithoutAnIdOrWithAShortHashIsRefused) {
  EXPECT_FALSE(KeyBook::parse(R"({"keys":[{"id":"","hash":")" + kHash + R"("}]})"));
  EXPECT_FALSE(KeyBook::parse(R"({"keys":[{"hash":")" + kHash + R"("}]})"));
  EXPECT_FALSE(KeyBook::parse(R"({"keys":[{"id":"k1","hash":"abc"}]})"));
  EXPECT_FALSE(KeyBook::parse(R"({"keys":{}})"));
  EXPECT_FALSE(KeyBook::parse("not json"));
  EXPECT_TRUE(KeyBook::parse(R"({"keys":[{"id":"k1","hash":")" + kHash + R"("}]})"));
}

}  // namespace
}  // namespace quorum::auth
