#include "relay/dashboard_page.h"

#include <array>
#include <utility>

#include "net/content_type.h"

namespace quorum::relay::page {

namespace {

constexpr std::string_view kLeftOutPage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Quorum relay</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#1f2937}
code{background:#f3f4f6;padding:.1em .3em;border-radius:4px}</style></head>
<body><h1>Quorum relay</h1>
<p>This relay works, but its web dashboard was left out of this build (npm was not found when it was built,
or the front end has no dashboard page).</p>
<p>The API is at <code>/v1</code> and the dashboard's JSON API at <code>/api</code>. To get the dashboard,
install Node.js and npm, then rebuild (<code>make build</code>).</p></body></html>
)";

const EmbeddedAsset* find(const std::vector<EmbeddedAsset>& assets, std::string_view path) {
  for (const auto& a : assets) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

}  // namespace

PageFile dashboard_file(const std::vector<EmbeddedAsset>& assets, std::string_view path) {
  PageFile out;
  const EmbeddedAsset* asset = path == "/" || path == "/index.html" ? nullptr : find(assets, path);
  // The node's own page (index.html) is not the relay's.
  if (asset && path != "/relay.html") {
    out.content_type = std::string(net::content_type_for(path));
    out.body = std::string(asset->bytes);
    out.etag = "\"" + asset->etag + "\"";
    out.immutable = path.starts_with("/assets/");
    return out;
  }
  if (path.starts_with("/assets/")) {
    out.status = 404;
    out.content_type = "text/plain; charset=utf-8";
    out.body = "Not found.\n";
    return out;
  }
  const EmbeddedAsset* page = find(assets, "/relay.html");
  out.content_type = "text/html; charset=utf-8";
  out.body = page ? std::string(page->bytes) : std::string(kLeftOutPage);
  return out;
}

net::Headers headers_for(const PageFile& file) {
  net::Headers headers;
  headers.add("Content-Type", file.content_type);
  headers.add("X-Content-Type-Options", "nosniff");
  headers.add("X-Frame-Options", "DENY");
  headers.add("Referrer-Policy", "no-referrer");
  headers.add(
      "Content-Security-Policy",
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
      "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  if (!file.etag.empty()) headers.add("ETag", file.etag);
  headers.add("Cache-Control", file.immutable ? "public, max-age=31536000, immutable" : "no-store");
  return headers;
}

}  // namespace quorum::relay::page
