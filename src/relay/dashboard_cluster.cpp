// The dashboard's endpoints of one cluster (dashboard_api.h): its snapshot, usage, audit log, and the
// mutations of its keys, invites and members.
#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <map>

#include "auth/api_key.h"
#include "relay/dashboard_api.h"
#include "relay/dashboard_wire.h"

namespace quorum::relay {

namespace json = boost::json;
using dashboard::at_least;
using namespace dashboard_wire;

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
    const UsageDays days = usage_days(request.target, now);
    auto rows = co_await store_.usage(cluster_id, days.from, days.to);
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
    const KeyRequest asked = key_request(o);
    const std::string& name = asked.name;
    auto created =
        co_await store_.create_key(cluster_id, asked.name, asked.limits, asked.models, asked.expires_at);
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
    auto stored = co_await store_.find_key(id);
    json::object detail;
    if (stored && *stored) detail["name"] = (*stored)->name;
    co_await audit(cluster_id, user.email, "key.revoke", id, std::move(detail));
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
    events_.publish(cluster_id, "invite",
                    json::object{{"id", id}, {"revoked", true}, {"revoked_at", now}, {"removed", true}},
                    Role::admin);
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

}  // namespace quorum::relay
