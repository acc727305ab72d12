#include "node/ui/ui_assets.h"

#include <array>
#include <utility>

#include "net/content_type.h"

namespace quorum::node::ui {

namespace {

constexpr std::string_view kLeftOutPage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Quorum</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#1f2937}
code{background:#f3f4f6;padding:.1em .3em;border-radius:4px}</style></head>
<body><h1>Quorum</h1>
<p>This node works, but its window was left out of this build: npm was not found when it was built.</p>
<p>The API is at <code>/v1</code> (for example <code>/v1/models</code>). To get the window, install Node.js and
npm, then rebuild (<code>make build</code>).</p></body></html>
)";

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size() + to.size());
  size_t at = 0;
  while (true) {
    const size_t found = text.find(from, at);
    if (found == std::string_view::npos) break;
    out.append(text.substr(at, found - at));
    out.append(to);
    at = found + from.size();
  }
  out.append(text.substr(at));
  return out;
}

const EmbeddedAsset* find(const std::vector<EmbeddedAsset>& assets, std::string_view path) {
  for (const auto& a : assets) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

}  // namespace

bool is_ui_file_path(std::string_view path) {
  return path == "/" || path == "/index.html" || path == "/favicon.svg" || path.starts_with("/assets/");
}

bool is_ui_request(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  return is_ui_file_path(path) || path.starts_with("/api/ui/") || path == "/api/ui";
}

UiFile ui_file(const std::vector<EmbeddedAsset>& assets, std::string_view path, std::string_view token) {
  UiFile out;
  const EmbeddedAsset* index = find(assets, "/index.html");
  if (path == "/" || path == "/index.html") {
    out.content_type = "text/html; charset=utf-8";
    out.body = index ? replace_all(index->bytes, kTokenPlaceholder, token) : std::string(kLeftOutPage);
    return out;
  }
  const EmbeddedAsset* asset = find(assets, path);
  if (!asset) {
    out.status = 404;
    out.content_type = "text/plain; charset=utf-8";
    out.body = "Not found.\n";
    return out;
  }
  out.content_type = std::string(net::content_type_for(path));
  out.body = std::string(asset->bytes);
  out.etag = "\"" + asset->etag + "\"";
  out.immutable = path.starts_with("/assets/");
  return out;
}

}  // namespace quorum::node::ui
