#include "relay/dashboard_api.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <map>

#include "auth/api_key.h"
#include "core/log.h"
#include "relay/password_hash.h"
#include "relay/store_accounts_shared.h"
#include "wire/json_fields.h"
#include "wire/stream_writer.h"

namespace quorum::relay {

namespace json = boost::json;
namespace asio = net::asio;
using dashboard::at_least;

namespace {

// (Callers name what they pass: g++ 12 mishandles temporaries in a co_await expression.)
net::Task<void> send_json(net::ResponseWriter& writer, int status, const json::value& body,
                          net::Headers headers = {}) {
  headers.add("Content-Type", "application/json");
  headers.add("Cache-Control", "no-store");
  std::string text = json::serialize(body);
  co_await writer.send(status, headers, std::move(text));
}

ApiError error(int status, std::string code, std::string message) {
  const char* type = status == 401   ? "authentication_error"
                     : status == 403 ? "permission_error"
                     : status >= 500 ? "server_error"
                                     : "invalid_request_error";
  return ApiError{status, type, std::move(message), std::nullopt, std::move(code)};
}

net::Task<void> send_error(net::ResponseWriter& writer, const ApiError& e, net::Headers headers = {}) {
  headers.add("Content-Type", "application/json");
  headers.add("Cache-Control", "no-store");
  std::string text = wire::error_body(e);
  co_await writer.send(e.status, headers, std::move(text));
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::string query_value(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

std::optional<json::object> body_object(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::string text_of(const json::object& o, std::string_view key, size_t max = 1024) {
  return wire::string_field(o, key, max);
}

std::optional<int64_t> int_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(std::min<uint64_t>(v->as_uint64(), INT64_MAX));
  return std::nullopt;
}

json::value opt(const std::optional<int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::object user_json(const User& u) {
  return {{"id", u.id}, {"email", u.email}, {"operator", u.is_operator}};
}

json::object key_json(const ApiKey& k, UnixSeconds now) {
  json::array models;
  for (const auto& m : k.models) models.emplace_back(m);
  const KeyState state = k.state(now);
  return {
      {"id", k.id},
      {"name", k.name},
      {"models", models},
      {"limits",
       json::object{{"rpm", k.limits.rpm}, {"tpm", k.limits.tpm}, {"max_parallel", k.limits.max_parallel}}},
      {"expires_at", opt(k.expires_at)},
      {"created_at", k.created_at},
      {"last_used_at", opt(k.last_used_at)},
      {"revoked_at", opt(k.revoked_at)},
      {"state", state == KeyState::active    ? "active"
                : state == KeyState::expired ? "expired"
                                             : "revoked"},
      {"created_by", nullptr}};
}

json::object member_json(const Membership& m) {
  return {{"user_id", m.user_id}, {"email", m.email}, {"role", role_name(m.role)}};
}

json::object invite_json(const Invite& i) {
  return {{"id", i.id},
          {"role", role_name(i.role)},
          {"email", i.email.empty() ? json::value(nullptr) : json::value(i.email)},
          {"created_at", i.created_at},
          {"expires_at", i.expires_at},
          {"created_by", i.created_by}};
}

json::object audit_json(const AuditEntry& a) {
  boost::system::error_code ec;
  auto detail = json::parse(a.detail, ec);
  return {{"id", a.id},         {"at", a.at},
          {"actor", a.actor},   {"action", a.action},
          {"object", a.object}, {"detail", ec || !detail.is_object() ? json::value(json::object{}) : detail}};
}

json::object usage_json(const UsageRecord& r) {
  return {{"day", r.day},
          {"key_id", r.key_id},
          {"node_id", r.node_id},
          {"model", r.model},
          {"requests", r.requests},
          {"failed", r.failed},
          {"prompt_tokens", r.prompt_tokens},
          {"completion_tokens", r.completion_tokens}};
}

// A node as the dashboard shows it: what the store knows (`stored`, may be null for a node seen only live)
// and, when it is connected, what its link and last STATUS say.
json::object node_json(const std::string& id, const std::string& name, bool revoked,
                       std::optional<UnixSeconds> last_seen, const ConnectedNode* live) {
  json::object o{{"id", id},
                 {"name", live ? live->name : name},
                 {"online", live != nullptr},
                 {"since", live ? json::value(live->connected_at) : opt(last_seen)},
                 {"path", live ? json::value("relay") : json::value(nullptr)},
                 {"address", live ? json::value(live->address) : json::value(nullptr)},
                 {"version", live && !live->status.version.empty() ? json::value(live->status.version)
                                                                   : json::value(nullptr)},
                 {"revoked", revoked}};
  json::array engines, models;
  json::value load = nullptr;
  if (live && live->has_status) {
    for (const auto& e : live->status.engines) {
      engines.push_back(json::object{{"name", e}, {"kind", nullptr}, {"healthy", true}});
    }
    for (const auto& m : live->status.models)
      models.push_back(json::object{{"id", m.id}, {"loaded", m.loaded}});
    load = json::object{{"running", std::max(live->status.in_flight, live->relayed)}, {"queued", nullptr}};
  }
  o["engines"] = std::move(engines);
  o["models"] = std::move(models);
  o["load"] = std::move(load);
  return o;
}

}  // namespace

bool DashboardApi::https(const net::HttpRequest& request) const {
  if (tls_) return true;
  return request.arrival == net::Arrival::kLoopback &&
         net::iequals(request.headers.get("X-Forwarded-Proto"), "https");
}

std::string DashboardApi::origin(const net::HttpRequest& request) const {
  return std::string(https(request) ? "https://" : "http://") + std::string(request.headers.get("Host"));
}

net::Task<void> DashboardApi::handle(net::HttpRequest& request, net::ResponseWriter& writer) {
  const std::string path(path_of(request.target));
  const dashboard::CsrfInput csrf{request.method,
                                  request.headers.get("Content-Type"),
                                  !request.body.empty(),
                                  request.headers.get("Origin"),
                                  request.headers.get("Sec-Fetch-Site"),
                                  request.headers.get("Host"),
                                  https(request)};
  if (!dashboard::csrf_allowed(csrf)) {
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
    good = password::verify(user->password_hash, pass);
  } else {
    password::verify_dummy(pass);  // as long as a real check: timing tells no email apart
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
      if ((*found)->password_hash.empty() || !password::verify((*found)->password_hash, pass)) {
        limiter_.failed(by_email, now);
        limiter_.failed(by_address, now);
        const ApiError refusal = error(401, "invalid_credentials", "Wrong email or password.");
        co_await send_error(writer, refusal);
        co_return;
      }
      user = std::move(*found);
    } else {
      auto hashed = password::hash(pass);
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

net::Task<Result<json::object>> DashboardApi::snapshot(const Cluster& c, Role role) {
  const UnixSeconds now = unix_now();
  auto nodes = co_await store_.nodes_of(c.id);
  if (!nodes) co_return nodes.take_error();
  auto keys = co_await store_.keys_of(c.id);
  if (!keys) co_return keys.take_error();
  auto members = co_await store_.members_of(c.id);
  if (!members) co_return members.take_error();
  json::array invites;
  if (at_least(role, Role::admin)) {
    auto open = co_await store_.open_invites(c.id);
    if (!open) co_return open.take_error();
    for (const auto& i : *open) invites.push_back(invite_json(i));
  }
  json::array node_list;
  std::map<std::string, std::pair<json::array, json::array>> models;  // id → (nodes, loaded_on)
  for (const auto& n : *nodes) {
    auto live = hub_.node(n.id);
    const ConnectedNode* l = live && live->cluster_id == c.id ? live.get() : nullptr;
    node_list.push_back(node_json(n.id, n.name, n.revoked_at.has_value(), n.last_seen_at, l));
    if (!l) continue;
    for (const auto& m : l->status.models) {
      auto& entry = models[m.id];
      entry.first.emplace_back(n.id);
      if (m.loaded) entry.second.emplace_back(n.id);
    }
  }
  json::array model_list;
  for (auto& [id, where] : models) {
    model_list.push_back(json::object{{"id", id}, {"nodes", where.first}, {"loaded_on", where.second}});
  }
  json::array key_list, member_list;
  for (const auto& k : *keys) key_list.push_back(key_json(k, now));
  for (const auto& m : *members) member_list.push_back(member_json(m));
  co_return json::object{
      {"cluster", json::object{{"id", c.id}, {"name", c.name}, {"created_at", c.created_at}}},
      {"role", role_name(role)},
      {"nodes", node_list},
      {"models", model_list},
      {"keys", key_list},
      {"members", member_list},
      {"invites", invites}};
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

net::Task<void> DashboardApi::cluster(net::HttpRequest& request, net::ResponseWriter& writer,
                                      const User& user, std::string cluster_id, std::string rest) {
  auto found = co_await role_in(user, cluster_id);
  if (!found) {
    const ApiError& refusal = found.error();
    co_await send_error(writer, refusal);
    co_return;
  }
  if (!*found) {
    const ApiError refusal = error(404, "not_found", "No cluster " + cluster_id + ".");
    co_await send_error(writer, refusal);
    co_return;
  }
  const Role role = **found;
  const std::string& method = request.method;
  const bool mutation = dashboard::is_mutation(method);
  const bool leaving = method == "DELETE" && rest == "members/" + user.id;
  if (mutation && !leaving && !at_least(role, Role::admin)) {
    const ApiError refusal = error(403, "forbidden", "Your role in this cluster (viewer) cannot change it.");
    co_await send_error(writer, refusal);
    co_return;
  }
  const std::optional<json::object> body = mutation ? body_object(request.body) : std::nullopt;
  const json::object empty;
  const json::object& o = body ? *body : empty;
  const UnixSeconds now = unix_now();

  if (rest.empty() && method == "GET") {
    auto c = co_await store_.cluster(cluster_id);
    if (!c || !*c) {
      const ApiError refusal = c ? error(404, "not_found", "No cluster " + cluster_id + ".") : c.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    auto snap = co_await snapshot(**c, role);
    if (!snap) {
      const ApiError& refusal = snap.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    const json::value answer = std::move(*snap);
    co_await send_json(writer, 200, answer);
  } else if (rest == "events" && method == "GET") {
    co_await events(writer, cluster_id, user.id, role);
  } else if (rest == "usage" && method == "GET") {
    const std::string from = query_value(request.target, "from"), to = query_value(request.target, "to");
    const std::string from_day = from.empty() ? utc_day(now - int64_t{29} * 86400) : from;
    const std::string to_day = to.empty() ? utc_day(now) : to;
    auto rows = co_await store_.usage(cluster_id, from_day, to_day);
    if (!rows) {
      const ApiError& refusal = rows.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    json::array data;
    for (const auto& r : *rows) data.push_back(usage_json(r));
    const json::value answer = json::object{{"data", data}};
    co_await send_json(writer, 200, answer);
  } else if (rest == "audit" && method == "GET") {
    int64_t limit = 100;
    if (const std::string l = query_value(request.target, "limit"); !l.empty()) {
      limit = std::clamp<int64_t>(std::strtoll(l.c_str(), nullptr, 10), 1, 1000);
    }
    auto rows = co_await store_.audit_of(cluster_id, limit);
    if (!rows) {
      const ApiError& refusal = rows.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    json::array data;
    for (const auto& a : *rows) data.push_back(audit_json(a));
    const json::value answer = json::object{{"data", data}};
    co_await send_json(writer, 200, answer);
  } else if (rest == "keys" && method == "POST") {
    KeyLimits limits;
    limits.rpm = static_cast<uint64_t>(std::max<int64_t>(0, int_of(o, "rpm").value_or(0)));
    limits.tpm = static_cast<uint64_t>(std::max<int64_t>(0, int_of(o, "tpm").value_or(0)));
    limits.max_parallel = static_cast<uint64_t>(std::max<int64_t>(0, int_of(o, "max_parallel").value_or(0)));
    std::vector<std::string> models;
    if (const auto* m = o.if_contains("models"); m && m->is_array()) {
      for (const auto& x : m->as_array()) {
        if (x.is_string()) models.emplace_back(x.as_string());
      }
    }
    const std::optional<int64_t> expires = int_of(o, "expires_at");
    const std::string name = text_of(o, "name", kMaxTextBytes);
    auto created = co_await store_.create_key(cluster_id, name, limits, models, expires);
    if (!created) {
      const ApiError& refusal = created.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    const auto parsed = api_key::parse(*created);
    const std::string id = parsed ? parsed->id : "";
    hub_.keys_changed(cluster_id);
    json::object detail = json::object{{"name", name}};
    co_await audit(cluster_id, user.email, "key.create", id, std::move(detail));
    auto stored = co_await store_.find_key(id);
    if (stored && *stored) events_.publish(cluster_id, "key", key_json(**stored, now));
    const json::value answer = json::object{{"id", id}, {"key", *created}};
    co_await send_json(writer, 200, answer);
  } else if (rest.starts_with("keys/") && method == "DELETE") {
    const std::string id = rest.substr(5);
    auto revoked = co_await store_.revoke_key(cluster_id, id);
    if (!revoked || !*revoked) {
      const ApiError refusal =
          revoked ? error(404, "not_found", "No key " + id + " in this cluster.") : revoked.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    hub_.keys_changed(cluster_id);
    json::object detail = json::object{};
    co_await audit(cluster_id, user.email, "key.revoke", id, std::move(detail));
    auto stored = co_await store_.find_key(id);
    if (stored && *stored) events_.publish(cluster_id, "key", key_json(**stored, now));
    const json::value answer = json::object{{"id", id}, {"revoked", true}};
    co_await send_json(writer, 200, answer);
  } else if (rest == "invites" && method == "POST") {
    const std::string role_text = text_of(o, "role", 16);
    const std::optional<Role> invited = parse_role(role_text.empty() ? "viewer" : role_text);
    if (!invited) {
      const ApiError refusal = error(400, "invalid_role", "role is owner, admin or viewer.");
      co_await send_error(writer, refusal);
      co_return;
    }
    if (!dashboard::may_invite(role, *invited)) {
      const ApiError refusal = error(403, "forbidden", "Only an owner invites owners.");
      co_await send_error(writer, refusal);
      co_return;
    }
    const std::string email = text_of(o, "email", 254);
    auto made = co_await store_.create_invite(cluster_id, *invited, email, user.email, now + kInviteLifetime);
    if (!made) {
      const ApiError& refusal = made.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    json::object detail = json::object{{"role", role_name(*invited)}, {"email", made->invite.email}};
    co_await audit(cluster_id, user.email, "invite.create", made->invite.id, std::move(detail));
    events_.publish(cluster_id, "invite", invite_json(made->invite), Role::admin);
    const json::value answer = json::object{{"id", made->invite.id},
                                            {"url", origin(request) + "/#invite/" + made->token},
                                            {"expires_at", made->invite.expires_at}};
    co_await send_json(writer, 200, answer);
  } else if (rest.starts_with("invites/") && method == "DELETE") {
    const std::string id = rest.substr(8);
    auto revoked = co_await store_.revoke_invite(cluster_id, id);
    if (!revoked || !*revoked) {
      const ApiError refusal =
          revoked ? error(404, "not_found", "No open invite " + id + " in this cluster.") : revoked.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    json::object detail = json::object{};
    co_await audit(cluster_id, user.email, "invite.revoke", id, std::move(detail));
    events_.publish(cluster_id, "invite", json::object{{"id", id}, {"revoked", true}}, Role::admin);
    const net::Headers no_headers;
    co_await writer.send(204, no_headers, "");
  } else if (rest.starts_with("members/") && (method == "PATCH" || method == "DELETE")) {
    const std::string target = rest.substr(8);
    auto members = co_await store_.members_of(cluster_id);
    if (!members) {
      const ApiError& refusal = members.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    const Membership* current = nullptr;
    size_t owners = 0;
    for (const auto& m : *members) {
      owners += m.role == Role::owner ? 1 : 0;
      if (m.user_id == target) current = &m;
    }
    if (!current) {
      const ApiError refusal = error(404, "not_found", "No member " + target + " in this cluster.");
      co_await send_error(writer, refusal);
      co_return;
    }
    const Membership before = *current;
    std::optional<Role> new_role;
    if (method == "PATCH") {
      new_role = parse_role(text_of(o, "role", 16));
      if (!new_role) {
        const ApiError refusal = error(400, "invalid_role", "role is owner, admin or viewer.");
        co_await send_error(writer, refusal);
        co_return;
      }
    }
    const auto verdict = dashboard::member_change(user.id, role, target, before.role, new_role, owners);
    if (verdict != dashboard::MemberVerdict::ok) {
      const ApiError refusal =
          verdict == dashboard::MemberVerdict::forbidden
              ? error(403, "forbidden", "Only an owner changes or removes other members.")
              : error(409, "last_owner", "A cluster keeps at least one owner: make another owner first.");
      co_await send_error(writer, refusal);
      co_return;
    }
    if (new_role) {
      auto set = co_await store_.set_member(cluster_id, target, *new_role);
      if (!set) {
        const ApiError& refusal = set.error();
        co_await send_error(writer, refusal);
        co_return;
      }
      json::object detail = json::object{
          {"email", before.email}, {"from", role_name(before.role)}, {"to", role_name(*new_role)}};
      co_await audit(cluster_id, user.email, "member.role", target, std::move(detail));
      Membership after = before;
      after.role = *new_role;
      events_.publish(cluster_id, "member", member_json(after));
      events_.drop_user(cluster_id, target);
      const json::value answer = member_json(after);
      co_await send_json(writer, 200, answer);
    } else {
      auto removed = co_await store_.remove_member(cluster_id, target);
      if (!removed) {
        const ApiError& refusal = removed.error();
        co_await send_error(writer, refusal);
        co_return;
      }
      json::object detail = json::object{{"email", before.email}};
      co_await audit(cluster_id, user.email, "member.remove", target, std::move(detail));
      events_.publish(
          cluster_id, "member",
          json::object{{"user_id", target}, {"email", before.email}, {"role", nullptr}, {"removed", true}});
      events_.drop_user(cluster_id, target);
      const net::Headers no_headers;
      co_await writer.send(204, no_headers, "");
    }
  } else {
    const ApiError refusal =
        error(404, "unknown_url", "Unknown path " + std::string(path_of(request.target)) + ".");
    co_await send_error(writer, refusal);
  }
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
