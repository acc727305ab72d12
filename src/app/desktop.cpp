#include "app/desktop.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "app/health_probe.h"
#include "app/node_child.h"
#include "app/open_browser.h"
#include "app/webkit_window.h"

namespace quorum::app {

namespace {

constexpr auto kStartDeadline = std::chrono::seconds(30);
constexpr auto kHealthPollInterval = std::chrono::milliseconds(100);

// Starts the node beside the app and waits for its /health. Prints why and returns nothing when it exits or
// stays silent past the deadline.

std::unique_ptr<NodeChild> start_node(int port, const std::vector<std::string>& argv) {
  auto child = NodeChild::spawn("/proc/self/exe", argv);
  if (!child) {
    std::cerr << "quorum app: " << child.error().message << "\n";
    return nullptr;
  }
  auto deadline = std::chrono::steady_clock::now() + kStartDeadline;
  for (;;) {
    if (auto status = child->wait_for(kHealthPollInterval)) {
      std::cerr << "quorum app: the node " << describe_exit(*status) << " before it answered on "
                << ui_url(port) << " (its messages are above)\n";
      return nullptr;
    }
    if (node_answers(port)) return std::make_unique<NodeChild>(std::move(*child));
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << "quorum app: the node did not answer " << ui_url(port) << "health within "
                << kStartDeadline.count() << " s; stopping it\n";
      child->stop();
      return nullptr;
    }
  }
}

// Tries for a window: display, libraries, GTK. The loaded window when every step worked.
std::unique_ptr<WebKitWindow> try_window(DisplayFacts& facts) {
  facts.display = has_display(std::getenv("DISPLAY"), std::getenv("WAYLAND_DISPLAY"));
  if (!facts.display) return nullptr;
  auto loaded = WebKitWindow::load();
  if (!loaded) {
    facts.load_error = loaded.error().message;
    return nullptr;
  }
  auto window = std::move(*loaded);
  if (auto started = window->init_display(); !started) {
    facts.init_error = started.error().message;
    return nullptr;
  }
  return window;
}

// Keeps the node in the foreground until SIGINT/SIGTERM (then stops it: 0) or its exit (1).
int keep_node(NodeChild& node) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  int sfd = ::signalfd(-1, &set, SFD_CLOEXEC);
  std::cerr << "quorum app: the node runs until Ctrl-C\n";
  pollfd fds[2] = {{node.exit_fd(), POLLIN, 0}, {sfd, POLLIN, 0}};
  for (;;) {
    int r = ::poll(fds, sfd >= 0 ? 2 : 1, -1);
    if (r < 0 && errno != EINTR) break;
    if (auto status = node.exited()) {
      std::cerr << "quorum app: the node " << describe_exit(*status) << "\n";
      if (sfd >= 0) ::close(sfd);
      return 1;
    }
    if (r > 0 && sfd >= 0 && (fds[1].revents & POLLIN)) break;
  }
  if (sfd >= 0) ::close(sfd);
  node.stop();
  return 0;
}

}  // namespace

int run_app(const AppOptions& options) {
  std::string url = ui_url(options.port);
  std::unique_ptr<NodeChild> node;
  if (node_answers(options.port)) {
    std::cerr << "quorum app: a node answers on " << url << "\n";
  } else {
    auto argv = node_command(options.port, options.node_options);
    if (!argv) {
      std::cerr << argv.error().message << "\n";
      return 2;
    }
    node = start_node(options.port, *argv);
    if (!node) return 1;
    std::cerr << "quorum app: started a node on " << url << "\n";
  }

  DisplayFacts facts;
  auto window = try_window(facts);
  auto choice = choose_surface(facts);
  if (choice.surface == Surface::window) {
    auto end = window->run(url, node ? node->exit_fd() : -1);
    if (end == WindowEnd::fd_ready && node) {
      std::cerr << "quorum app: the node " << describe_exit(node->stop()) << "\n";
      return 1;
    }
    if (node) node->stop();
    return 0;
  }
  std::cerr << "quorum app: " << choice.reason << "; opening the browser instead\n";
  open_browser(url);
  return node ? keep_node(*node) : 0;
}

int run_ui(int port) {
  std::string url = ui_url(port);
  if (!node_answers(port)) {
    std::cerr << "quorum ui: no node answers on " << url
              << " (start one with `quorum node`, or run `quorum app`, "
              << "which starts one)\n";
    return 1;
  }
  open_browser(url);
  return 0;
}

}  // namespace quorum::app
