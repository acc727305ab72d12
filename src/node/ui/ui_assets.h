// The local UI's files (ui/, built by `vite build`), embedded in the binary at build time
// (cmake/embed_ui.cmake), and how the node serves them. Pure: no sockets
// (tests/unit/node/ui_assets_test.cpp).
//
// The UI is a single-page app routed by the URL's hash: the node serves index.html at "/" and "/index.html",
// and each other file at its own path ("/assets/index-3f2a.js"). index.html carries the placeholder
// kTokenPlaceholder, replaced when served by the node's per-launch UI token (docs/ui-api.md). A build
// without npm embeds nothing; "/" then answers a page that says the UI was left out.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace quorum::node::ui {

struct EmbeddedAsset {
  std::string path;  // "/index.html", "/assets/…"
  std::string etag;  // a prefix of the file's SHA-256, hex
  std::string_view bytes;
};

// The files embedded at build time (generated: ui_assets.cpp in the build folder); empty without the UI.
const std::vector<EmbeddedAsset>& embedded_assets();

inline constexpr std::string_view kTokenPlaceholder = "__QUORUM_UI_TOKEN__";

// True for the paths the UI owns: "/", "/index.html", "/favicon.svg" and anything under "/assets/".
bool is_ui_file_path(std::string_view path);

// True for the targets the UI owns, whatever the method: its file paths and /api/ui/… (the query ignored).
bool is_ui_request(std::string_view target);

struct UiFile {
  int status = 200;  // 200, or 404 for a path under the UI's that is not embedded
  std::string content_type;
  std::string body;
  std::string etag;        // empty for index.html (its body carries the token) and for 404
  bool immutable = false;  // hashed file names under /assets/: cached for a year
};

// What to answer for GET `path` (the query already stripped) from `assets`: index.html for "/" with every
// kTokenPlaceholder replaced by `token`; the page that says the UI was left out when `assets` holds no
// index.html.
UiFile ui_file(const std::vector<EmbeddedAsset>& assets, std::string_view path, std::string_view token);

}  // namespace quorum::node::ui
