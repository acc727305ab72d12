// The native window of `quorum app`: a GTK 3 window holding a WebKitGTK 4.1 web view on the node's UI.
//
// GTK, WebKitGTK, GLib and GObject are loaded at run time with dlopen, never linked, so the `quorum` binary
// starts on a headless server that has none of them; only the few C functions called here are declared. Once
// loaded they stay loaded for the life of the process (GTK cannot be unloaded). Everything here runs on the
// thread that calls it, which becomes GTK's main thread: call from the main thread only, one window per
// process.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"

namespace quorum::app {

struct GtkApi;  // the loaded libraries' entry points (webkit_window.cpp)

// Why run() returned.
enum class WindowEnd {
  closed,     // the user closed the window
  signalled,  // SIGINT or SIGTERM arrived (the window is closed)
  fd_ready,   // the watched descriptor became readable (the window is closed)
};

class WebKitWindow {
 public:
  // Loads libgtk-3.so.0, libwebkit2gtk-4.1.so.0, libgobject-2.0.so.0 and libglib-2.0.so.0 and finds the
  // functions this window calls. Fails with one line naming the library or symbol that is missing
  // (dlerror()).
  static Result<std::unique_ptr<WebKitWindow>> load();

  ~WebKitWindow();
  WebKitWindow(const WebKitWindow&) = delete;
  WebKitWindow& operator=(const WebKitWindow&) = delete;

  // Starts GTK on the display of the environment (gtk_init_check). Fails when GTK cannot open it.
  Status init_display();

  // REQUIRES: init_display() succeeded. Shows a window titled "Quorum" that loads `url`; its title then
  // follows the page's title (WebKit's notify::title), e.g. "Quorum — 2 nodes online". Runs GTK's main loop
  // until the window is closed, SIGINT or SIGTERM arrives, or `watch_fd` (when >= 0; e.g. a pidfd) becomes
  // readable, and returns which. While it runs GLib handles SIGINT and SIGTERM (g_unix_signal_add); its
  // sources are removed before it returns. The window is destroyed before it returns.
  WindowEnd run(const std::string& url, int watch_fd);

 private:
  explicit WebKitWindow(std::unique_ptr<GtkApi> api);
  std::unique_ptr<GtkApi> api_;
};

}  // namespace quorum::app
