// The node started beside the window, with /bin/sh standing in for it: exits are seen and described, and
// stop() ends a process that ignores nothing and one that ignores SIGTERM.
#include "app/node_child.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

namespace quorum::app {
namespace {

TEST(DescribeExit, CodeOrSignal) {
  EXPECT_EQ(describe_exit(3 << 8), "exited with code 3");
  EXPECT_EQ(describe_exit(SIGKILL).rfind("was killed by signal 9", 0), 0u);
}

TEST(NodeChild, SeesAnEarlyExitAndItsCode) {
  auto child = NodeChild::spawn("/bin/sh", {"-c", "exit 7"});
  ASSERT_TRUE(child.ok()) << child.error().message;
  auto status = child->wait_for(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(describe_exit(*status), "exited with code 7");
  EXPECT_EQ(child->stop(), *status);  // already reaped: stop() returns what it had
}

TEST(NodeChild, StopEndsARunningChildWithSigterm) {
  auto child = NodeChild::spawn("/bin/sh", {"-c", "exec sleep 60"});
  ASSERT_TRUE(child.ok());
  EXPECT_FALSE(child->wait_for(std::chrono::milliseconds(50)).has_value());
  int status = child->stop();
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

TEST(NodeChild, StopKillsAChildThatIgnoresSigtermAfterTheGrace) {
  // The shell ignores TERM (and says so by creating `ready`), so only SIGKILL ends it.
  std::string ready = ::testing::TempDir() + "node_child_ready_" + std::to_string(::getpid());
  std::filesystem::remove(ready);
  auto child =
      NodeChild::spawn("/bin/sh", {"-c", "trap '' TERM; : > " + ready + "; while :; do read -t 1 x; done"});
  ASSERT_TRUE(child.ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!std::filesystem::exists(ready) && std::chrono::steady_clock::now() < deadline) {
    ASSERT_FALSE(child->wait_for(std::chrono::milliseconds(10)).has_value());
  }
  ASSERT_TRUE(std::filesystem::exists(ready));
  std::filesystem::remove(ready);
  int status = child->stop(std::chrono::milliseconds(200));
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

}  // namespace
}  // namespace quorum::app
