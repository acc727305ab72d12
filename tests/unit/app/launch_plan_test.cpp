// The decisions of `quorum app` and `quorum ui` that a user notices: which node command runs, window or
// browser and the line that says why, the window's title.
#include "app/launch_plan.h"

#include <gtest/gtest.h>

namespace quorum::app {
namespace {

using Args = std::vector<std::string>;

TEST(UiUrl, IsTheLoopbackListener) {
  EXPECT_EQ(ui_url(32768), "http://127.0.0.1:32768/");
  EXPECT_EQ(ui_url(4000), "http://127.0.0.1:4000/");
}

TEST(NodeCommand, ListensOnThePortAndPassesNodeOptionsThroughInOrder) {
  auto argv = node_command(
      4000, {"--name", "desk", "--no-autodetect", "--model", "a=/m/a.gguf", "--state-dir=/tmp/s"});
  ASSERT_TRUE(argv.ok());
  EXPECT_EQ(*argv, (Args{"node", "--listen", "127.0.0.1:4000", "--name", "desk", "--no-autodetect", "--model",
                         "a=/m/a.gguf", "--state-dir=/tmp/s"}));
  EXPECT_EQ(node_command(32768, {}).value(), (Args{"node", "--listen", "127.0.0.1:32768"}));
}

TEST(NodeCommand, RefusesListenBecauseTheWindowUsesThePort) {
  for (const Args& options : {Args{"--listen", "0.0.0.0:1"}, Args{"--name", "x", "--listen=127.0.0.1:9"}}) {
    auto argv = node_command(4000, options);
    ASSERT_FALSE(argv.ok());
    EXPECT_NE(argv.error().message.find("--port"), std::string::npos) << argv.error().message;
  }
  // A value that merely contains the word is an option's value, not --listen.
  EXPECT_TRUE(node_command(4000, {"--name", "--listen-host"}).ok());
}

TEST(HasDisplay, X11OrWayland) {
  EXPECT_TRUE(has_display(":0", nullptr));
  EXPECT_TRUE(has_display(nullptr, "wayland-0"));
  EXPECT_TRUE(has_display("", "wayland-0"));
  EXPECT_FALSE(has_display(nullptr, nullptr));
  EXPECT_FALSE(has_display("", ""));
}

TEST(ChooseSurface, WindowOnlyWhenDisplayLibrariesAndGtkAllWork) {
  auto c = choose_surface({true, "", ""});
  EXPECT_EQ(c.surface, Surface::window);
  EXPECT_EQ(c.reason, "");
}

TEST(ChooseSurface, BrowserWithTheFirstFailureAsTheReason) {
  auto no_display = choose_surface({false, "", ""});
  EXPECT_EQ(no_display.surface, Surface::browser);
  EXPECT_EQ(no_display.reason, "no display (DISPLAY and WAYLAND_DISPLAY are unset)");

  auto no_webkit = choose_surface({true, "libwebkit2gtk-4.1.so.0: cannot open shared object file", ""});
  EXPECT_EQ(no_webkit.surface, Surface::browser);
  EXPECT_EQ(no_webkit.reason, "no WebKitGTK window: libwebkit2gtk-4.1.so.0: cannot open shared object file");

  auto no_gtk = choose_surface({true, "", "GTK cannot open the display :99"});
  EXPECT_EQ(no_gtk.surface, Surface::browser);
  EXPECT_EQ(no_gtk.reason, "no window: GTK cannot open the display :99");

  // Facts after the first failure were not gathered and do not change the reason.
  EXPECT_EQ(choose_surface({false, "x", "y"}).reason, no_display.reason);
}

TEST(WindowTitle, FollowsThePageAndIsQuorumBeforeIt) {
  EXPECT_EQ(window_title(nullptr), "Quorum");
  EXPECT_EQ(window_title(""), "Quorum");
  EXPECT_EQ(window_title("Quorum"), "Quorum");
  EXPECT_EQ(window_title("Quorum — 2 nodes online"), "Quorum — 2 nodes online");
}

TEST(HealthyResponse, Only200) {
  EXPECT_TRUE(is_healthy_response("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(is_healthy_response("HTTP/1.0 200\r\n"));
  EXPECT_TRUE(is_healthy_response("HTTP/1.1 200"));
  EXPECT_FALSE(is_healthy_response("HTTP/1.1 2000 Odd\r\n"));
  EXPECT_FALSE(is_healthy_response("HTTP/1.1 503 Service Unavailable\r\n"));
  EXPECT_FALSE(is_healthy_response("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_FALSE(is_healthy_response("SSH-2.0-OpenSSH\r\n"));
  EXPECT_FALSE(is_healthy_response(""));
}

}  // namespace
}  // namespace quorum::app
