#include "node/ui/ui_guard.h"

#include <gtest/gtest.h>

#include "node/ui/ui_assets.h"

namespace quorum::node::ui {
namespace {

TEST(UiGuard, OnlyLoopbackNamesInHost) {
  for (const char* ok : {"localhost", "localhost:32768", "LOCALHOST.", "127.0.0.1", "127.0.0.1:32768",
                         "[::1]", "[::1]:32768", "localhost.:80"}) {
    EXPECT_TRUE(loopback_host(ok)) << ok;
  }
  for (const char* bad : {"", "evil.com", "evil.com:32768", "127.0.0.1.evil.com", "localhost.evil.com",
                          "127.0.0.2", "::1", "[::1]x", "localhost:abc", "0.0.0.0", "my-machine.local"}) {
    EXPECT_FALSE(loopback_host(bad)) << bad;
  }
}

TEST(UiGuard, TokensAreRandomWellFormedAndComparedWhole) {
  const std::string a = new_ui_token();
  const std::string b = new_ui_token();
  EXPECT_NE(a, b);
  EXPECT_TRUE(well_formed_ui_token(a));
  EXPECT_FALSE(well_formed_ui_token("short"));
  EXPECT_FALSE(well_formed_ui_token("0123456789ABCDEF0123456789abcdef"));
  EXPECT_TRUE(ui_token_matches(a, a));
  EXPECT_FALSE(ui_token_matches(a, b));
  EXPECT_FALSE(ui_token_matches("", ""));
  EXPECT_FALSE(ui_token_matches(a.substr(0, 31), a));
}

TEST(UiGuard, UiRequestsAreItsFilesAndApi) {
  EXPECT_TRUE(is_ui_request("/"));
  EXPECT_TRUE(is_ui_request("/?x=1"));
  EXPECT_TRUE(is_ui_request("/api/ui/events"));
  EXPECT_TRUE(is_ui_request("/api/ui/cluster/join"));
  EXPECT_FALSE(is_ui_request("/api/other"));
  EXPECT_FALSE(is_ui_request("/v1/chat/completions"));
  EXPECT_FALSE(is_ui_request("/metrics"));
}

}  // namespace
}  // namespace quorum::node::ui
