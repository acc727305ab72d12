// The relay dashboard's page: the front end's files (ui/, built by `vite build`; its relay.html entry),
// embedded in quorum-relay at build time (cmake/ui.cmake, cmake/embed_ui.cmake), and how the relay serves
// them. Pure: no sockets (tests/unit/relay/dashboard_page_test.cpp).
//
// relay.html is served at "/" and at every other path the relay does not own (the page routes by its URL's
// hash); each other embedded file at its own path ("/assets/relay-3f2a.js", cached for a year: the names
// are hashed). Without relay.html (the UI left out of the build, or a front end without the dashboard),
// "/" answers a small page that says the dashboard was left out of this build.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.h"

namespace quorum::relay::page {

struct EmbeddedAsset {
  std::string path;  // "/relay.html", "/assets/…"
  std::string etag;  // a prefix of the file's SHA-256, hex
  std::string_view bytes;
};

// The files embedded at build time (generated: relay_ui_assets.cpp in the build folder); empty without the
// UI.
const std::vector<EmbeddedAsset>& embedded_assets();

struct PageFile {
  int status = 200;
  std::string content_type;
  std::string body;
  std::string etag;        // empty for the page itself and for 404
  bool immutable = false;  // under /assets/
};

// What to answer for GET `path` (no query).
PageFile dashboard_file(const std::vector<EmbeddedAsset>& assets, std::string_view path);
// The response headers for `file`: its type, caching, and the node UI's security headers (nosniff, no
// framing, Content-Security-Policy).
net::Headers headers_for(const PageFile& file);

}  // namespace quorum::relay::page
