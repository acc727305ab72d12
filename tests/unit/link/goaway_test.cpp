// GOAWAY's payload, and where a node may be moved to (link/goaway.h).
#include "link/goaway.h"

#include <gtest/gtest.h>

namespace quorum::link {
namespace {

TEST(Goaway, AMoveCarriesItsUrlAndOtherReasonsDoNot) {
  auto moved = parse_goaway(goaway_payload(Goaway{"moved", 0, "http://10.0.0.2:8443"}));
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->reason, "moved");
  EXPECT_EQ(moved->reconnect_in_ms, 0);
  EXPECT_EQ(moved->url, "http://10.0.0.2:8443");

  auto restarting =
      parse_goaway(R"({"reason":"the relay is restarting","reconnect_in_ms":1000,"url":"http://x"})");
  ASSERT_TRUE(restarting);
  EXPECT_EQ(restarting->reconnect_in_ms, 1000);
  EXPECT_EQ(restarting->url, "") << "only a move names a URL";

  EXPECT_FALSE(parse_goaway("[]"));
  EXPECT_FALSE(parse_goaway("not json"));
  auto odd = parse_goaway(R"({"reason":7,"reconnect_in_ms":"soon"})");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->reason, "");
  EXPECT_EQ(odd->reconnect_in_ms, 0);
}

TEST(Goaway, ANodeFollowsAMoveOnlyToARelayOfTheSameScheme) {
  EXPECT_EQ(acceptable_move("https://relay.example.com", "https://r2.example.com:8443"),
            "https://r2.example.com:8443");
  EXPECT_EQ(acceptable_move("http://127.0.0.1:1", "http://127.0.0.1:2"), "http://127.0.0.1:2");
  EXPECT_EQ(acceptable_move("https://relay.example.com", "http://r2.example.com"), "")
      << "never down to plain";
  EXPECT_EQ(acceptable_move("http://relay", "https://r2"), "");
  EXPECT_EQ(acceptable_move("http://relay", "ftp://r2"), "");
  EXPECT_EQ(acceptable_move("http://relay", "http://"), "");
  EXPECT_EQ(acceptable_move("http://relay", "http://r2 x"), "");
  EXPECT_EQ(acceptable_move("http://relay", "http://r2\n"), "");
  EXPECT_EQ(acceptable_move("http://relay", "http://" + std::string(600, 'a')), "");
  EXPECT_EQ(acceptable_move("http://relay", ""), "");
}

}  // namespace
}  // namespace quorum::link
