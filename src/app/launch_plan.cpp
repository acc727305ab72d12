#include "app/launch_plan.h"

namespace quorum::app {

std::string ui_url(int port) {
  return "http://127.0.0.1:" + std::to_string(port) + "/";
}

Result<std::vector<std::string>> node_command(int port, const std::vector<std::string>& node_options) {
  for (const auto& option : node_options) {
    if (option == "--listen" || option.starts_with("--listen=")) {
      return ApiError::invalid_request(
          "quorum app: the node it starts listens on 127.0.0.1:PORT; give the port as --port, not --listen");
    }
  }
  std::vector<std::string> argv{"node", "--listen", "127.0.0.1:" + std::to_string(port)};
  argv.insert(argv.end(), node_options.begin(), node_options.end());
  return argv;
}

SurfaceChoice choose_surface(const DisplayFacts& facts) {
  if (!facts.display) {
    return {Surface::browser, "no display (DISPLAY and WAYLAND_DISPLAY are unset)"};
  }
  if (!facts.load_error.empty()) return {Surface::browser, "no WebKitGTK window: " + facts.load_error};
  if (!facts.init_error.empty()) return {Surface::browser, "no window: " + facts.init_error};
  return {Surface::window, ""};
}

bool has_display(const char* display, const char* wayland_display) {
  return (display != nullptr && *display != '\0') || (wayland_display != nullptr && *wayland_display != '\0');
}

std::string window_title(const char* page_title) {
  if (page_title == nullptr || *page_title == '\0') return "Quorum";
  return page_title;
}

bool is_healthy_response(std::string_view head) {
  // "HTTP/1.1 200 OK" (any HTTP/1.x): the status is the second word.
  if (!head.starts_with("HTTP/1.")) return false;
  auto space = head.find(' ');
  return space != std::string_view::npos && head.substr(space + 1).starts_with("200") &&
         (head.size() == space + 4 || head[space + 4] == ' ' || head[space + 4] == '\r');
}

}  // namespace quorum::app
