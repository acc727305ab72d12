#include "update/semver.h"

#include <gtest/gtest.h>

namespace quorum::update {
namespace {

int cmp(const char* a, const char* b) {
  auto x = parse_semver(a), y = parse_semver(b);
  EXPECT_TRUE(x && y) << a << " " << b;
  return compare(*x, *y);
}

TEST(SemVer, ParsesReleasesPrereleasesAndBuilds) {
  auto v = parse_semver("1.22.3-rc.1+build.5");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->major, 1u);
  EXPECT_EQ(v->minor, 22u);
  EXPECT_EQ(v->patch, 3u);
  EXPECT_EQ(v->prerelease, "rc.1");
}

TEST(SemVer, RefusesWhatIsNotOne) {
  for (const char* bad : {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.x", "1.2.3-", "1.2.3-01", "v1.2.3",
                          "1.2.3+", "1..3", "-1.2.3"}) {
    EXPECT_FALSE(parse_semver(bad)) << bad;
  }
}

TEST(SemVer, OrdersAsTheSpecDoes) {
  // semver.org's example chain, each before the next.
  const char* chain[] = {"1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                         "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
                         "1.0.1",        "1.1.0",         "1.10.0",           "2.0.0"};
  for (size_t i = 0; i + 1 < std::size(chain); ++i) {
    EXPECT_LT(cmp(chain[i], chain[i + 1]), 0) << chain[i] << " < " << chain[i + 1];
    EXPECT_GT(cmp(chain[i + 1], chain[i]), 0);
  }
  EXPECT_EQ(cmp("1.2.3+a", "1.2.3+b"), 0);  // build metadata does not count
  EXPECT_LT(cmp("0.9.0", "0.10.0"), 0);     // numbers, not strings
}

}  // namespace
}  // namespace quorum::update
