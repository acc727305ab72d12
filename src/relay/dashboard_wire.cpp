#include "relay/dashboard_wire.h"

#include <algorithm>
#include <boost/json.hpp>

#include "wire/stream_writer.h"

namespace quorum::relay::dashboard_wire {

namespace json = boost::json;

// (Callers name what they pass: g++ 12 mishandles temporaries in a co_await expression.)
net::Task<void> send_json(net::ResponseWriter& writer, int status, const json::value& body,
                          net::Headers headers) {
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

net::Task<void> send_error(net::ResponseWriter& writer, const ApiError& e, net::Headers headers) {
  headers.add("Content-Type", "application/json");
  headers.add("Cache-Control", "no-store");
  std::string text = wire::error_body(e);
  co_await writer.send(e.status, headers, std::move(text));
}

UsageDays usage_days(std::string_view target, UnixSeconds now) {
  UsageDays days{query_value(target, "from"), query_value(target, "to")};
  if (days.from.empty()) days.from = utc_day(now - int64_t{29} * 86400);
  if (days.to.empty()) days.to = utc_day(now);
  return days;
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

}  // namespace quorum::relay::dashboard_wire
