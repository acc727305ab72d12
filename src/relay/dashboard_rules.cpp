#include "relay/dashboard_rules.h"

#include "net/http_types.h"

namespace quorum::relay::dashboard {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    const std::string_view pair = trim(header.substr(0, semi));
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name) {
      std::string_view v = trim(pair.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return std::string(v);
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

std::string session_cookie(std::string_view value, bool secure) {
  std::string out = std::string(kCookieName) + "=" + std::string(value) +
                    "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" +
                    (value.empty() ? "0" : std::to_string(kSessionLifetime));
  if (secure) out += "; Secure";
  return out;
}

bool is_mutation(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool csrf_allowed(const CsrfInput& in) {
  if (!is_mutation(in.method)) return true;
  const std::string_view type = trim(in.content_type.substr(0, in.content_type.find(';')));
  const bool json = net::iequals(type, "application/json");
  if (!json && !(in.method == "DELETE" && !in.has_body)) return false;
  if (!in.origin.empty()) {
    if (in.host.empty()) return false;
    const std::string own = std::string(in.https ? "https://" : "http://") + std::string(in.host);
    return net::iequals(in.origin, own);
  }
  return in.sec_fetch_site == "same-origin";
}

MemberVerdict member_change(std::string_view actor, Role actor_role, std::string_view target,
                            Role target_role, std::optional<Role> new_role, size_t owners) {
  const bool leaving = !new_role && actor == target;
  if (actor_role != Role::owner && !leaving) return MemberVerdict::forbidden;
  const bool loses_owner = target_role == Role::owner && (!new_role || *new_role != Role::owner);
  if (loses_owner && owners <= 1) return MemberVerdict::last_owner;
  return MemberVerdict::ok;
}

bool may_invite(Role actor_role, Role role) {
  if (!at_least(actor_role, Role::admin)) return false;
  return role != Role::owner || actor_role == Role::owner;
}

void SignInLimiter::drop_old(std::deque<Clock::time_point>& q, Clock::time_point now) {
  while (!q.empty() && now - q.front() >= kWindow) q.pop_front();
}

int64_t SignInLimiter::retry_after(const std::string& key, Clock::time_point now) {
  auto it = failures_.find(key);
  if (it == failures_.end()) return 0;
  drop_old(it->second, now);
  if (it->second.empty()) {
    failures_.erase(it);
    return 0;
  }
  if (it->second.size() < kMaxFailures) return 0;
  const auto wait = std::chrono::ceil<std::chrono::seconds>(it->second.front() + kWindow - now).count();
  return wait < 1 ? 1 : wait;
}

void SignInLimiter::failed(const std::string& key, Clock::time_point now) {
  if (failures_.size() >= kMaxKeys && !failures_.contains(key)) {
    // Forget the key whose newest failure is oldest.
    auto oldest = failures_.begin();
    for (auto it = failures_.begin(); it != failures_.end(); ++it) {
      if (it->second.empty() || (!oldest->second.empty() && it->second.back() < oldest->second.back()))
        oldest = it;
    }
    failures_.erase(oldest);
  }
  auto& q = failures_[key];
  drop_old(q, now);
  q.push_back(now);
  if (q.size() > kMaxFailures) q.pop_front();
}

}  // namespace quorum::relay::dashboard
