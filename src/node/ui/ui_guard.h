// Who may use the local UI's endpoints (docs/ui-api.md). Pure (tests/unit/node/ui_guard_test.cpp).
//
// The UI answers only on loopback (the caller is known to be on this machine), and only to a request that
// names this machine's loopback in Host: a page of another site that got the browser to resolve its own name
// to 127.0.0.1 (DNS rebinding) sends its own name there. Unlike the API (browser_guard.h), a request
// without Host is refused too: every browser sends one, and the UI has no other clients. An Origin, when
// present, must be a loopback page (api::origin_allowed). Writes also need the per-launch token.
#pragma once

#include <string>
#include <string_view>

namespace quorum::node::ui {

// True when `host` (the Host header as sent) is localhost, 127.0.0.1 or [::1], case-insensitively, with
// one optional trailing dot and an optional port. False when empty.
bool loopback_host(std::string_view host);

// A new per-launch token: 32 random hex characters.
std::string new_ui_token();
// True when `token` looks like one new_ui_token() makes (so one inherited through the environment is
// taken only when well formed).
bool well_formed_ui_token(std::string_view token);
// `given` equals `expected`, compared in constant time; false when either is empty.
bool ui_token_matches(std::string_view given, std::string_view expected);

}  // namespace quorum::node::ui
