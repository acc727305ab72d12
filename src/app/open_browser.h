// The browser fallback: hand a URL to the desktop's default browser (xdg-open), or give it to the user.
#pragma once

#include <string>

namespace quorum::app {

enum class BrowserOutcome {
  opened,   // xdg-open (found in PATH) took the URL and returned 0
  printed,  // xdg-open is missing or failed: the URL was printed on stdout for the user to open
};

// Runs `xdg-open url` (sharing this process's standard streams) and waits for it to return: xdg-open hands
// the URL to the browser and returns, or runs a text browser in this terminal until the user leaves it. On
// failure prints "Open URL in a browser." on stdout (and why on stderr). Blocks; call from one thread at a
// time.
BrowserOutcome open_browser(const std::string& url);

}  // namespace quorum::app
