// The relay dashboard's pure decisions (docs/dashboard-api.md), apart from sockets and the store so that
// they are unit-tested alone: the session cookie (reading it, setting and clearing it), the CSRF rule for
// mutations, who may do what in a cluster, and the limit on failed sign-ins.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "relay/accounts.h"

namespace quorum::relay::dashboard {

inline constexpr std::string_view kCookieName = "quorum_session";

// The value of cookie `name` in a Cookie header ("a=1; quorum_session=…"); "" when absent.
std::string cookie_value(std::string_view header, std::string_view name);
// The Set-Cookie value that signs in with `value` (HttpOnly, SameSite=Strict, Path=/, 30 days; Secure when
// `secure`), or, with an empty `value`, the one that clears the cookie (Max-Age=0).
std::string session_cookie(std::string_view value, bool secure);

// POST, PUT, PATCH, DELETE.
bool is_mutation(std::string_view method);

struct CsrfInput {
  std::string_view method;
  std::string_view content_type;    // the Content-Type header
  bool has_body = false;            // a non-empty body
  std::string_view origin;          // the Origin header ("" when absent)
  std::string_view sec_fetch_site;  // the Sec-Fetch-Site header ("" when absent)
  std::string_view host;            // the Host header
  bool https = false;               // the relay's own scheme, as the browser sees it
};
// Whether a request may go on: anything but a mutation may; a mutation needs Content-Type application/json
// (but a DELETE without a body) and an Origin equal to the relay's own (scheme://host), or, without an
// Origin, Sec-Fetch-Site: same-origin.
bool csrf_allowed(const CsrfInput& in);

// Whether `have` is at least `need` (owner > admin > viewer).
inline bool at_least(Role have, Role need) {
  return static_cast<int>(have) >= static_cast<int>(need);
}

enum class MemberVerdict { ok, forbidden, last_owner };
// May `actor` (with `actor_role`) set the role of `target` (now `target_role`) to `new_role`, or remove them
// (new_role nullopt)? Owners change roles and remove members; anyone may leave (remove themselves); never
// the last owner of a cluster (`owners`: how many it has) is demoted or removed.
MemberVerdict member_change(std::string_view actor, Role actor_role, std::string_view target,
                            Role target_role, std::optional<Role> new_role, size_t owners);
// May a member with `actor_role` invite someone as `role`? Admins invite admins and viewers; owners anyone.
bool may_invite(Role actor_role, Role role);

// Failed sign-ins, per email and per remote address: at most kMaxFailures in any kWindow; over it, sign-in
// is refused (429) until the oldest failure leaves the window. Memory is bounded: at most kMaxKeys keys
// (the oldest-touched are forgotten first).
class SignInLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxFailures = 10;
  static constexpr std::chrono::seconds kWindow{60};
  static constexpr size_t kMaxKeys = 10000;

  // Seconds until `key` may try again; 0 when it may now.
  int64_t retry_after(const std::string& key, Clock::time_point now);
  void failed(const std::string& key, Clock::time_point now);

 private:
  std::map<std::string, std::deque<Clock::time_point>> failures_;
  void drop_old(std::deque<Clock::time_point>& q, Clock::time_point now);
};

}  // namespace quorum::relay::dashboard
