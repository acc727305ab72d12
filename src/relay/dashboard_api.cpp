#include "relay/dashboard_api.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "core/log.h"
#include "relay/dashboard_wire.h"
#include "relay/password_hash.h"
#include "relay/password_worker.h"
#include "relay/store_accounts_shared.h"

namespace quorum::relay {

namespace json = boost::json;
namespace asio = net::asio;
using dashboard::at_least;
using namespace dashboard_wire;

bool DashboardApi::https(const net::HttpRequest& request) const {
  if (tls_) return true;
  return request.arrival == net::Arrival::kLoopback &&
         net::iequals(request.headers.get("X-Forwarded-Proto"), "https");
}

std::string DashboardApi::origin(const net::HttpRequest& request) const {
  return std::string(https(request) ? "https://" : "http://") + std::string(request.headers.get("Host"));
}

net::Task<void> DashboardApi::handle(net::HttpRequest& request, net::ResponseWriter& writer,
                                     bool from_relay) {
  const std::string path(path_of(request.target));
  const dashboard::CsrfInput csrf{request.method,
                                  request.headers.get("Content-Type"),
                                  !request.body.empty(),
                                  request.headers.get("Origin"),
                                  request.headers.get("Sec-Fetch-Site"),
                                  request.headers.get("Host"),
                                  https(request)};
  if (!from_relay && !dashboard::csrf_allowed(csrf)) {
    const ApiError refusal = error(
        403, "csrf_refused", "A change needs Content-Type: application/json and this relay's own Origin.");
    co_await send_error(writer, refusal);
    co_return;
  }
  if (path == "/api/session" && request.method == "POST") {
    co_await sign_in(request, writer);
    co_return;
  }
  if (path == "/api/session/link" && request.method == "GET") {
    co_await sign_in_link(request, writer);
    co_return;
  }
  // The session, if any.
  const std::string cookie = dashboard::cookie_value(request.headers.get("Cookie"), dashboard::kCookieName);
  std::optional<User> user;
  if (!cookie.empty()) {
    auto found = co_await store_.session_user(cookie);
    if (!found) {
      const ApiError& refusal = found.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    user = std::move(*found);
  }
  if (path == "/api/invites/accept" && request.method == "POST") {
    co_await accept_invite(request, writer, std::move(user));
    co_return;
  }
  if (!user) {
    net::Headers headers;
    if (!cookie.empty()) headers.add("Set-Cookie", dashboard::session_cookie("", https(request)));
    const ApiError refusal = error(401, "signed_out", "Sign in first.");
    co_await send_error(writer, refusal, headers);
    co_return;
  }
  if (path == "/api/session" && request.method == "DELETE") {
    auto ended = co_await store_.end_web_session(cookie);
    if (!ended) {
      const ApiError& refusal = ended.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    net::Headers headers;
    headers.add("Set-Cookie", dashboard::session_cookie("", https(request)));
    headers.add("Cache-Control", "no-store");
    co_await writer.send(204, headers, "");
    co_return;
  }
  if (path == "/api/me" && request.method == "GET") {
    co_await me(*user, writer);
    co_return;
  }
  constexpr std::string_view kClusters = "/api/clusters/";
  if (path.starts_with(kClusters) && path.size() > kClusters.size()) {
    const std::string tail = path.substr(kClusters.size());
    const auto slash = tail.find('/');
    std::string id = tail.substr(0, slash);
    std::string rest = slash == std::string::npos ? "" : tail.substr(slash + 1);
    if (!from_relay && route_cluster) {
      const bool forwarded = co_await route_cluster(id, request, writer);
      if (forwarded) co_return;
    }
    co_await cluster(request, writer, *user, std::move(id), std::move(rest));
    co_return;
  }
  const ApiError refusal = error(404, "unknown_url", "Unknown path " + path + ".");
  co_await send_error(writer, refusal);
}

net::Task<void> DashboardApi::sign_in(net::HttpRequest& request, net::ResponseWriter& writer) {
  const auto body = body_object(request.body);
  if (!body) {
    const ApiError refusal = error(400, "invalid_body", "The body must be a JSON object.");
    co_await send_error(writer, refusal);
    co_return;
  }
  const std::string email = text_of(*body, "email", 254);
  const std::string pass = text_of(*body, "password", password::kMaxLength);
  const auto now = dashboard::SignInLimiter::Clock::now();
  const std::string by_email = "email:" + accounts_shared::normal_email(email);
  const std::string by_address = "address:" + request.remote_address;
  const int64_t wait = std::max(limiter_.retry_after(by_email, now), limiter_.retry_after(by_address, now));
  if (wait > 0) {
    net::Headers headers;
    headers.add("Retry-After", std::to_string(wait));
    const ApiError refusal =
        error(429, "rate_limited", "Too many failed sign-ins; try again in " + std::to_string(wait) + " s.");
    co_await send_error(writer, refusal, headers);
    co_return;
  }
  std::optional<User> user;
  if (!email.empty()) {
    auto found = co_await store_.user_by_email(email);
    if (!found) {
      const ApiError& refusal = found.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    user = std::move(*found);
  }
  bool good = false;
  if (user && !user->password_hash.empty()) {
    good = co_await password::verify_off_loop(user->password_hash, pass);
  } else {
    co_await password::verify_dummy_off_loop(pass);  // as long as a real check: timing tells no email apart
  }
  if (!good) {
    limiter_.failed(by_email, now);
    limiter_.failed(by_address, now);
    const ApiError refusal = error(401, "invalid_credentials", "Wrong email or password.");
    co_await send_error(writer, refusal);
    co_return;
  }
  auto cookie = co_await store_.create_web_session(user->id);
  if (!cookie) {
    const ApiError& refusal = cookie.error();
    co_await send_error(writer, refusal);
    co_return;
  }
  log::info("relay: dashboard: " + log::printable(user->email) + " signed in");
  net::Headers headers;
  headers.add("Set-Cookie", dashboard::session_cookie(*cookie, https(request)));
  const json::value answer = json::object{{"user", user_json(*user)}};
  co_await send_json(writer, 200, answer, headers);
}

net::Task<void> DashboardApi::sign_in_link(net::HttpRequest& request, net::ResponseWriter& writer) {
  const std::string token = query_value(request.target, "token");
  std::optional<std::string> user_id;
  if (!token.empty() && token.size() < 128) {
    auto spent = co_await store_.redeem_sign_in_link(token);
    if (!spent) {
      const ApiError& refusal = spent.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    user_id = std::move(*spent);
  }
  net::Headers headers;
  headers.add("Cache-Control", "no-store");
  headers.add("Referrer-Policy", "no-referrer");
  if (!user_id) {
    headers.add("Location", "/#signin?error=link");
    co_await writer.send(303, headers, "");
    co_return;
  }
  auto cookie = co_await store_.create_web_session(*user_id);
  if (!cookie) {
    const ApiError& refusal = cookie.error();
    co_await send_error(writer, refusal);
    co_return;
  }
  headers.add("Set-Cookie", dashboard::session_cookie(*cookie, https(request)));
  headers.add("Location", "/");
  co_await writer.send(303, headers, "");
}

net::Task<void> DashboardApi::accept_invite(net::HttpRequest& request, net::ResponseWriter& writer,
                                            std::optional<User> user) {
  const auto body = body_object(request.body);
  if (!body) {
    const ApiError refusal = error(400, "invalid_body", "The body must be a JSON object.");
    co_await send_error(writer, refusal);
    co_return;
  }
  const std::string token = text_of(*body, "token", 128);
  const bool signed_in = user.has_value();
  std::string new_hash;
  std::string email;
  if (!signed_in) {
    // Known before the invite is spent: who joins (an existing user's password, or a new user's).
    email = text_of(*body, "email", 254);
    const std::string pass = text_of(*body, "password", password::kMaxLength);
    // The same limit as sign-in: an invite is no way around it to guess a member's password.
    const auto now = dashboard::SignInLimiter::Clock::now();
    const std::string by_email = "email:" + accounts_shared::normal_email(email);
    const std::string by_address = "address:" + request.remote_address;
    const int64_t wait = std::max(limiter_.retry_after(by_email, now), limiter_.retry_after(by_address, now));
    if (wait > 0) {
      net::Headers headers;
      headers.add("Retry-After", std::to_string(wait));
      const ApiError refusal = error(
          429, "rate_limited", "Too many failed sign-ins; try again in " + std::to_string(wait) + " s.");
      co_await send_error(writer, refusal, headers);
      co_return;
    }
    auto found = co_await store_.user_by_email(email);
    if (!found) {
      const ApiError& refusal = found.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    if (*found) {
      bool good = false;
      if (!(*found)->password_hash.empty()) {
        good = co_await password::verify_off_loop((*found)->password_hash, pass);
      }
      if (!good) {
        limiter_.failed(by_email, now);
        limiter_.failed(by_address, now);
        const ApiError refusal = error(401, "invalid_credentials", "Wrong email or password.");
        co_await send_error(writer, refusal);
        co_return;
      }
      user = std::move(*found);
    } else {
      auto hashed = co_await password::hash_off_loop(pass);
      if (!hashed) {
        const ApiError& refusal = hashed.error();
        co_await send_error(writer, refusal);
        co_return;
      }
      new_hash = std::move(*hashed);
    }
  }
  auto spent = co_await store_.redeem_invite(token);
  if (!spent) {
    const ApiError& refusal = spent.error();
    co_await send_error(writer, refusal);
    co_return;
  }
  if (!*spent) {
    const ApiError refusal =
        error(404, "invite_invalid", "This invite is unknown, used, revoked or expired.");
    co_await send_error(writer, refusal);
    co_return;
  }
  const Invite invite = **spent;
  if (!user) {
    auto added = co_await store_.add_user(email, new_hash, false);
    if (!added || !*added) {
      const ApiError refusal =
          added ? error(409, "email_taken", "An account with this email was made meanwhile; sign in.")
                : added.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    user = std::move(**added);
  }
  // Never a demotion: a member keeps a higher role they already have.
  Role role = invite.role;
  auto current = co_await role_in(*user, invite.cluster_id);
  if (current && *current && at_least(**current, role)) role = **current;
  auto set = co_await store_.set_member(invite.cluster_id, user->id, role);
  if (!set) {
    const ApiError& refusal = set.error();
    co_await send_error(writer, refusal);
    co_return;
  }
  json::object detail = json::object{{"role", role_name(role)}, {"user_id", user->id}};
  co_await audit(invite.cluster_id, user->email, "invite.accept", invite.id, std::move(detail));
  events_.publish(invite.cluster_id, "invite",
                  json::object{{"id", invite.id}, {"accepted_at", unix_now()}, {"removed", true}},
                  Role::admin);
  events_.publish(invite.cluster_id, "member",
                  json::object{{"user_id", user->id}, {"email", user->email}, {"role", role_name(role)}});
  net::Headers headers;
  if (!signed_in) {
    auto cookie = co_await store_.create_web_session(user->id);
    if (!cookie) {
      const ApiError& refusal = cookie.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    headers.add("Set-Cookie", dashboard::session_cookie(*cookie, https(request)));
  }
  const json::value answer =
      json::object{{"user", user_json(*user)}, {"cluster_id", invite.cluster_id}, {"role", role_name(role)}};
  co_await send_json(writer, 200, answer, headers);
}

net::Task<Result<std::optional<Role>>> DashboardApi::role_in(const User& user,
                                                             const std::string& cluster_id) {
  auto c = co_await store_.cluster(cluster_id);
  if (!c) co_return c.take_error();
  if (!*c || (*c)->revoked_at) co_return std::optional<Role>();
  if (user.is_operator) co_return std::optional<Role>(Role::owner);
  auto mine = co_await store_.memberships_of(user.id);
  if (!mine) co_return mine.take_error();
  for (const auto& m : *mine) {
    if (m.cluster_id == cluster_id) co_return std::optional<Role>(m.role);
  }
  co_return std::optional<Role>();
}

net::Task<void> DashboardApi::me(const User& user, net::ResponseWriter& writer) {
  std::vector<std::pair<std::string, Role>> roles;
  if (user.is_operator) {
    auto all = co_await store_.list_clusters();
    if (!all) {
      const ApiError& refusal = all.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    for (const auto& c : *all) {
      if (!c.revoked_at) roles.emplace_back(c.id, Role::owner);
    }
  } else {
    auto mine = co_await store_.memberships_of(user.id);
    if (!mine) {
      const ApiError& refusal = mine.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    for (const auto& m : *mine) roles.emplace_back(m.cluster_id, m.role);
  }
  json::array clusters;
  for (const auto& [id, role] : roles) {
    auto c = co_await store_.cluster(id);
    if (!c || !*c || (*c)->revoked_at) continue;
    auto nodes = co_await store_.nodes_of(id);
    int64_t enrolled = 0;
    if (nodes) {
      for (const auto& n : *nodes) enrolled += n.revoked_at ? 0 : 1;
    }
    clusters.push_back(json::object{{"id", id},
                                    {"name", (*c)->name},
                                    {"role", role_name(role)},
                                    {"online_nodes", hub_.nodes_of(id).size()},
                                    {"nodes", enrolled}});
  }
  const json::value answer = json::object{{"user", user_json(user)}, {"clusters", clusters}};
  co_await send_json(writer, 200, answer);
}

net::Task<void> DashboardApi::audit(std::string cluster_id, std::string actor, const char* action,
                                    std::string object, json::object detail) {
  AuditEntry entry;
  entry.cluster_id = cluster_id;
  entry.actor = actor;
  entry.action = action;
  entry.object = object;
  entry.detail = json::serialize(detail);
  auto added = co_await store_.add_audit(entry);
  if (!added) {
    log::warn("relay: dashboard: cannot write the audit entry " + std::string(action) + ": " +
              added.error().message);
    co_return;
  }
  events_.publish(cluster_id, "audit", audit_json(*added));
}

net::Task<void> DashboardApi::key_changed_elsewhere(std::string cluster_id, std::string actor,
                                                    const char* action, std::string key_id) {
  auto stored = co_await store_.find_key(key_id);
  json::object detail;
  if (stored && *stored) detail["name"] = (*stored)->name;
  co_await audit(cluster_id, std::move(actor), action, key_id, std::move(detail));
  if (stored && *stored) events_.publish(cluster_id, "key", key_json(**stored, unix_now()));
}

net::Task<void> DashboardApi::events(net::ResponseWriter& writer, const std::string& cluster_id,
                                     const std::string& user_id, Role role) {
  auto executor = co_await asio::this_coro::executor;
  auto sub = events_.subscribe(cluster_id, user_id, role, executor);
  if (!sub) {
    const ApiError refusal = error(503, "too_many_streams", "Too many dashboards are open; try again later.");
    co_await send_error(writer, refusal);
    co_return;
  }
  // Subscribed before the snapshot is read: what changes meanwhile follows it (events are whole objects).
  struct Unsubscribe {
    DashboardEvents& events;
    std::shared_ptr<EventSubscriber> sub;
    ~Unsubscribe() { events.unsubscribe(sub); }
  } unsubscribe{events_, sub};
  auto c = co_await store_.cluster(cluster_id);
  Result<json::object> snap = json::object{};
  if (c && *c) snap = co_await snapshot(**c, role);
  if (!c || !*c || !snap) {
    const ApiError refusal = !c ? c.error() : !*c ? error(404, "not_found", "No cluster.") : snap.error();
    co_await send_error(writer, refusal);
    co_return;
  }
  net::Headers headers;
  headers.add("Content-Type", "text/event-stream");
  headers.add("Cache-Control", "no-store");
  headers.add("X-Accel-Buffering", "no");
  co_await writer.begin_stream(200, headers);
  const std::string first = DashboardEvents::record("snapshot", *snap);
  const bool wrote = co_await writer.write(first);
  if (!wrote) co_return;
  std::weak_ptr<EventSubscriber> weak = sub;
  writer.watch(
      [weak] {
        if (auto s = weak.lock()) s->wake.cancel();
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(kKeepAlive), ": ka\n\n");
  for (;;) {
    const std::string chunk = sub->take();
    if (!chunk.empty()) {
      const bool sent = co_await writer.write(chunk);
      if (!sent) break;
      continue;
    }
    if (sub->dropped() || writer.client_gone()) break;
    sub->wake.expires_after(std::chrono::hours(1));
    auto [ec] = co_await sub->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
  }
  writer.unwatch();
  if (!writer.client_gone()) co_await writer.end_stream();
}

void DashboardApi::node_changed(const ConnectedNode& node, bool online) {
  if (!events_.has_subscribers(node.cluster_id)) return;
  json::object o = node_json(node.id, node.name, false, unix_now(), online ? &node : nullptr);
  events_.publish(node.cluster_id, "node", o);
}

void DashboardApi::usage_written(const std::vector<UsageRecord>& rows) {
  for (const auto& r : rows) {
    if (events_.has_subscribers(r.cluster_id)) events_.publish(r.cluster_id, "usage", usage_json(r));
  }
}

}  // namespace quorum::relay
