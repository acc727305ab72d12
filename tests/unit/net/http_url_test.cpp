// An engine's or a peer's URL, taken apart once: scheme, host, port, target and Host header.
#include "net/http_url.h"

#include <gtest/gtest.h>

namespace quorum::net {
namespace {

TEST(HttpUrl, TakesAnHttpUrlApart) {
  auto u = parse_http_url("http://127.0.0.1:8080/v1/chat/completions?x=1");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->https);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/v1/chat/completions?x=1");
  EXPECT_EQ(u->host_header, "127.0.0.1:8080");
}

TEST(HttpUrl, DefaultsPortAndPathAndUnbracketsIpv6) {
  auto plain = parse_http_url("http://engine.local");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->target, "/");
  EXPECT_EQ(plain->host_header, "engine.local");
  auto secure = parse_http_url("https://[::1]/v1/models");
  ASSERT_TRUE(secure);
  EXPECT_TRUE(secure->https);
  EXPECT_EQ(secure->port, 443);
  EXPECT_EQ(secure->host, "::1");
  EXPECT_EQ(secure->host_header, "[::1]");
}

TEST(HttpUrl, RefusesWhatIsNotAnHttpUrlWithAHost) {
  EXPECT_FALSE(parse_http_url("ftp://host/file"));
  EXPECT_FALSE(parse_http_url("http:///no-host"));
  EXPECT_FALSE(parse_http_url("not a url"));
  EXPECT_FALSE(parse_http_url(""));
  EXPECT_FALSE(cached_http_url("not a url"));
}

TEST(HttpUrl, TheCacheAnswersAsTheParserAndSharesItsAnswer) {
  const std::string url = "http://127.0.0.1:9/v1/completions";
  auto first = cached_http_url(url);
  auto again = cached_http_url(url);
  ASSERT_TRUE(first);
  EXPECT_EQ(first.get(), again.get());  // parsed once
  EXPECT_EQ(first->target, parse_http_url(url)->target);
  // More URLs than the cache holds: each still answers right, and the first is parsed again when it comes
  // back.
  for (int i = 0; i < 20; ++i) {
    auto other = cached_http_url("http://127.0.0.1:" + std::to_string(1000 + i) + "/");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->port, 1000 + i);
  }
  auto back = cached_http_url(url);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->port, 9);
  EXPECT_NE(back.get(), first.get());
}

}  // namespace
}  // namespace quorum::net
