// What keeps web pages from using the trust this node gives to loopback (docs/api.md, "Browsers"). Pure
// (tests/unit/node/browser_guard_test.cpp); Api::handle applies it after the auth chain and before the path
// table (Origin, Host), and after the path table for POST endpoints (Content-Type).
//
// - Origin: a page of another site, or of an opaque origin (`Origin: null`: sandboxed frames, data: and
//   file: pages), is refused with 403 forbidden_origin. No Origin (every non-browser client) and pages
//   served from localhost, 127.0.0.1 or [::1] (any port, http or https) pass.
// - Host: DNS rebinding points a name the attacker owns at 127.0.0.1, which makes the page's requests
//   same-origin (no Origin header) yet Host names the attacker's domain. A caller trusted for arriving on
//   loopback must therefore name this node: localhost, 127.0.0.1, [::1] or one of the node's own names and
//   addresses, with no port or the node's port. Otherwise 421 misdirected_host. A request without Host (no
//   browser sends one) passes. Peers are not held to it: their proof, not their address, is their trust, and
//   they reach the node at whatever address they learned.
// - Content-Type: every POST body is JSON and must say so (`application/json`, parameters such as charset
//   allowed). The simple content types a page can send without a CORS preflight (text/plain, form data)
//   and no type at all get 415 unsupported_media_type, whose message tells a curl user the header to add.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace quorum::node::api {

// True for an Origin header this node serves: absent (empty) or a page on this machine's loopback names.
bool origin_allowed(std::string_view origin);

// The names a loopback caller may use in Host, lower case: localhost, 127.0.0.1, [::1], `host_name`,
// `host_name`.local, `mdns_name` (the node's own `<id>.local`) and each of `addresses` (IPv4 or IPv6
// literals; IPv6 bracketed as in a Host header). Empty inputs are skipped.
std::vector<std::string> own_host_names(std::string_view host_name, std::string_view mdns_name,
                                        const std::vector<std::string>& addresses);

// True when `host_header` (as sent; empty when absent) names one of `own_names` (lower case, from
// own_host_names), case-insensitively and ignoring one trailing dot, with no port, an empty port or `port`.
bool host_allowed(std::string_view host_header, const std::vector<std::string>& own_names,
                  unsigned short port);

// True when `content_type`'s media type is application/json (case-insensitive; parameters ignored).
bool content_type_is_json(std::string_view content_type);

// The refusals, in the API's shape. `origin`, `host` and `content_type` are the headers as sent (empty when
// absent), quoted in the message.
ApiError forbidden_origin(std::string_view origin);
ApiError misdirected_host(std::string_view host);
ApiError unsupported_media_type(std::string_view content_type);

}  // namespace quorum::node::api
