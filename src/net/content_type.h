// The Content-Type of a static file served from memory (the node's local UI, the relay's dashboard), from its
// extension: text/html; charset=utf-8, text/javascript, text/css, image/svg+xml, image/png, font/woff2,
// application/json…; application/octet-stream for anything else.
#pragma once

#include <string_view>

namespace quorum::net {

std::string_view content_type_for(std::string_view path);

}  // namespace quorum::net
