#include "node/relaunch.h"

#include <gtest/gtest.h>

namespace quorum::node {
namespace {

using Args = std::vector<std::string>;

TEST(Relaunch, DropsAnOptionInBothForms) {
  EXPECT_EQ(without_options({"quorum", "node", "--name", "a", "--port", "1"}, {"--name"}),
            (Args{"quorum", "node", "--port", "1"}));
  EXPECT_EQ(without_options({"quorum", "node", "--name=a", "--port", "1"}, {"--name"}),
            (Args{"quorum", "node", "--port", "1"}));
  EXPECT_EQ(
      without_options({"quorum", "node", "--models-dir", "/m", "--name", "x"}, {"--name", "--models-dir"}),
      (Args{"quorum", "node"}));
}

TEST(Relaunch, KeepsEverythingElse) {
  const Args args{"quorum", "node", "--named", "x", "--name-of", "y"};
  EXPECT_EQ(without_options(args, {"--name"}), args);
  EXPECT_EQ(without_options(args, {}), args);
  // The program itself is never an option, and a trailing option without its value just goes.
  EXPECT_EQ(without_options({"--name", "node", "--name"}, {"--name"}), (Args{"--name", "node"}));
}

}  // namespace
}  // namespace quorum::node
