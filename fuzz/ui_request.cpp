// What a page, or any program on this machine, sends the node's local UI (src/node/ui): the Host header it is
// judged by (ui_guard.h loopback_host) and the path of the file it asks for (ui_assets.h ui_file,
// ui_assets.h is_ui_request).
//
// Input: up to the first newline, a Host header; the rest, a request target.
//
// Invariants:
//  - loopback_host accepts a Host only when it is localhost, 127.0.0.1 or [::1] (any case), then optionally
//    a '.', then optionally ':' and digits: checked against an independent reading;
//  - ui_file answers 200 or 404; the root and /index.html always 200, carrying the token and never the
//    placeholder; any other 200 is exactly an embedded file's bytes; a path that names no file is 404;
//  - is_ui_request is true exactly for the UI's file paths and /api/ui/… (the query ignored).
#include <cctype>
#include <string>
#include <vector>

#include "node/ui/ui_assets.h"
#include "node/ui/ui_guard.h"
#include "support/harness.h"

using namespace quorum::node::ui;

namespace {

bool independent_loopback(std::string_view host) {
  std::string h;
  for (char c : host) h.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (std::string_view name : {"localhost", "127.0.0.1", "[::1]"}) {
    if (!std::string_view(h).starts_with(name)) continue;
    std::string_view rest = std::string_view(h).substr(name.size());
    if (name != "[::1]" && rest.starts_with('.')) rest.remove_prefix(1);
    if (rest.empty()) return true;
    if (rest.front() != ':') continue;
    rest.remove_prefix(1);
    bool digits = true;
    for (char c : rest) digits = digits && c >= '0' && c <= '9';
    if (digits) return true;
  }
  return false;
}

const std::vector<EmbeddedAsset>& assets() {
  static const std::vector<EmbeddedAsset> table{
      {"/index.html", "e0",
       "<meta name=\"quorum-ui-token\" content=\"__QUORUM_UI_TOKEN__\">__QUORUM_UI_TOKEN__"},
      {"/assets/index-1.js", "e1", "js"},
      {"/assets/index-2.css", "e2", "css"},
      {"/favicon.svg", "e3", "<svg/>"},
  };
  return table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view host = input.substr(0, newline);
  const std::string_view target =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  FUZZ_CHECK(loopback_host(host) == independent_loopback(host), std::string(host));

  const std::string token = "0123456789abcdef0123456789abcdef";
  const std::string_view path = target.substr(0, target.find('?'));
  const UiFile file = ui_file(assets(), path, token);
  FUZZ_CHECK(file.status == 200 || file.status == 404);
  if (path == "/" || path == "/index.html") {
    FUZZ_CHECK(file.status == 200);
    FUZZ_CHECK(file.body.find(token) != std::string::npos);
    FUZZ_CHECK(file.body.find(kTokenPlaceholder) == std::string::npos);
  } else {
    const EmbeddedAsset* named = nullptr;
    for (const auto& a : assets()) named = a.path == path ? &a : named;
    FUZZ_CHECK((file.status == 200) == (named != nullptr), std::string(path));
    if (named) FUZZ_CHECK(file.body == named->bytes);
  }

  const bool expected = is_ui_file_path(path) || path.starts_with("/api/ui/") || path == "/api/ui";
  FUZZ_CHECK(is_ui_request(target) == expected, std::string(target));
  return 0;
}
