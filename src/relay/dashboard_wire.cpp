#include "relay/dashboard_wire.h"

#include <algorithm>
#include <boost/json.hpp>

#include "wire/json_fields.h"
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

std::string text_of(const json::object& o, std::string_view key, size_t max) {
  return wire::string_field(o, key, max);
}

KeyRequest key_request(const json::object& body) {
  KeyRequest out;
  auto limit = [&](std::string_view key) {
    return static_cast<uint64_t>(std::max<int64_t>(0, int_of(body, key).value_or(0)));
  };
  out.limits.rpm = limit("rpm");
  out.limits.tpm = limit("tpm");
  out.limits.max_parallel = limit("max_parallel");
  if (const auto* m = body.if_contains("models"); m && m->is_array()) {
    for (const auto& x : m->as_array()) {
      if (x.is_string()) out.models.emplace_back(x.as_string());
    }
  }
  out.expires_at = int_of(body, "expires_at");
  out.name = text_of(body, "name", kMaxTextBytes);
  return out;
}

UsageDays usage_days(std::string_view target, UnixSeconds now) {
  UsageDays days{query_value(target, "from"), query_value(target, "to")};
  if (days.from.empty()) days.from = utc_day(now - int64_t{29} * 86400);
  if (days.to.empty()) days.to = utc_day(now);
  return days;
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

}  // namespace quorum::relay::dashboard_wire
