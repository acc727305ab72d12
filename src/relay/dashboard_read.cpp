#include "relay/dashboard_read.h"

#include <algorithm>
#include <boost/json.hpp>

#include "relay/store.h"
#include "wire/json_fields.h"

namespace quorum::relay::dashboard_wire {

namespace json = boost::json;

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

std::optional<int64_t> int_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(std::min<uint64_t>(v->as_uint64(), INT64_MAX));
  return std::nullopt;
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

}  // namespace quorum::relay::dashboard_wire
