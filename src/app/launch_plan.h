// The pure decisions of `quorum app` and `quorum ui`: the UI's URL, the command line of the node started
// beside the window, whether it opens a native window or the browser (and the one line that says why not a
// window), and what the window's title reads. No I/O here: desktop.cpp gathers the facts and acts on the
// answers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace quorum::app {

inline constexpr int kDefaultPort = 32768;

// http://127.0.0.1:PORT/ — the node's loopback listener, where the UI and /api/ui/ answer.
std::string ui_url(int port);

// The arguments after the program for the node started beside the window: `node --listen 127.0.0.1:PORT`
// followed by `node_options` unchanged, in order. Fails (message for the user) when `node_options` names
// --listen itself: the window reaches the node at 127.0.0.1:PORT, so the port comes from --port only.
Result<std::vector<std::string>> node_command(int port, const std::vector<std::string>& node_options);

// What the machine offers, gathered in this order (a later field is meaningful only when the earlier ones
// succeeded): a display in the environment, GTK and WebKitGTK loaded, GTK started on that display.
struct DisplayFacts {
  bool display = false;    // DISPLAY or WAYLAND_DISPLAY is set and not empty
  std::string load_error;  // empty: the libraries loaded
  std::string init_error;  // empty: gtk_init_check succeeded
};

enum class Surface { window, browser };

struct SurfaceChoice {
  Surface surface = Surface::browser;
  std::string reason;  // browser only: one line for stderr, saying why there is no window
};

// A native window when every fact is good; otherwise the browser, with the first failure as the reason.
SurfaceChoice choose_surface(const DisplayFacts& facts);

// True when DISPLAY or WAYLAND_DISPLAY (either may be null) names a display.
bool has_display(const char* display, const char* wayland_display);

// The window's title for the page's title `page_title` (null or empty before the page has one): the page's
// own title once it has one, "Quorum" before.
std::string window_title(const char* page_title);

// True when `head`, the start of an HTTP response, has status 200 (the node's GET /health answer).
bool is_healthy_response(std::string_view head);

}  // namespace quorum::app
