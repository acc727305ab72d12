#include "cluster/pasted_token.h"

#include <gtest/gtest.h>

namespace quorum::cluster {
namespace {

TEST(PastedToken, WhatAPasteBringsAroundIsTakenAwayAndNothingInside) {
  EXPECT_EQ(trim_pasted_token("  qj_abc\r\n"), "qj_abc");
  EXPECT_EQ(trim_pasted_token("\tqj a\n"), "qj a");
  EXPECT_EQ(trim_pasted_token("qj_abc"), "qj_abc");
  EXPECT_EQ(trim_pasted_token(" \r\n\t"), "");
  EXPECT_EQ(trim_pasted_token(""), "");
}

}  // namespace
}  // namespace quorum::cluster
