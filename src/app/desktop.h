// `quorum app` and `quorum ui`: the node's UI in a native window or the browser.
#pragma once

#include <string>
#include <vector>

#include "app/launch_plan.h"

namespace quorum::app {

struct AppOptions {
  int port = kDefaultPort;                // the node's loopback port
  std::vector<std::string> node_options;  // passed to the node this starts, when it starts one
};

// `quorum app`: opens the UI of the node on 127.0.0.1:port. When no node answers GET /health there, first
// starts one beside it (this executable as `quorum node --listen 127.0.0.1:PORT NODE_OPTIONS…`) and waits up
// to 30 s for its /health; it stops that node (SIGTERM, then SIGKILL after 10 s) when the window closes.
// Opens a GTK/WebKitGTK window whose title follows the page's; without a display, WebKitGTK or GTK it says
// why on stderr in one line and opens the browser instead, then keeps a node it started in the foreground
// until SIGINT/SIGTERM. Returns 0 when the user ended it; 1 when the node it started failed to start or
// exited (saying how on stderr); 2 for a bad command line.
int run_app(const AppOptions& options);

// `quorum ui`: opens the browser (xdg-open, or prints the URL) at the UI of the node on 127.0.0.1:port.
// Returns 1 with a hint when no node answers GET /health there, else 0.
int run_ui(int port);

}  // namespace quorum::app
