#include "relay/store_checks.h"

#include <boost/json.hpp>
#include <string>

#include "auth/api_key.h"
#include "relay/store.h"

namespace quorum::relay::store_checks {

Status text(std::string_view field, std::string_view value, bool may_be_empty) {
  if (value.empty() && !may_be_empty)
    return ApiError::invalid_request(std::string(field) + " is empty", std::string(field));
  if (value.size() > kMaxTextBytes) {
    return ApiError::invalid_request(
        std::string(field) + " is longer than " + std::to_string(kMaxTextBytes) + " bytes",
        std::string(field));
  }
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return ApiError::invalid_request(std::string(field) + " holds a control character", std::string(field));
    }
  }
  return Ok{};
}

Status public_key(std::string_view field, std::string_view key) {
  if (key.size() != 32) {
    return ApiError::invalid_request(std::string(field) + " is not a 32-byte Ed25519 public key",
                                     std::string(field));
  }
  return Ok{};
}

Status day(std::string_view field, std::string_view value, bool calendar) {
  auto digits = [&](size_t at, size_t n) {
    for (size_t i = at; i < at + n; ++i) {
      if (value[i] < '0' || value[i] > '9') return false;
    }
    return true;
  };
  const bool shaped = value.size() == 10 && value[4] == '-' && value[7] == '-' && digits(0, 4) &&
                      digits(5, 2) && digits(8, 2);
  const std::string_view month = shaped ? value.substr(5, 2) : "";
  const std::string_view day_of_month = shaped ? value.substr(8, 2) : "";
  const bool in_range =
      shaped &&
      (!calendar || (month >= "01" && month <= "12" && day_of_month >= "01" && day_of_month <= "31"));
  if (!in_range) {
    return ApiError::invalid_request(std::string(field) + " is not a day (YYYY-MM-DD)", std::string(field));
  }
  return Ok{};
}

Status usage_record(const UsageRecord& r) {
  return all({day("day", r.day), text("cluster id", r.cluster_id), text("key id", r.key_id, true),
              text("node id", r.node_id), text("model", r.model)});
}

Status all(std::initializer_list<Status> checks) {
  for (const Status& check : checks) {
    if (!check) return check.error();
  }
  return Ok{};
}

namespace {
constexpr size_t kMaxModels = 256;
}  // namespace

Status new_key(std::string_view cluster_id, std::string_view name, const std::vector<std::string>& models) {
  if (auto ok = all({text("cluster id", cluster_id), text("key name", name)}); !ok) return ok;
  if (models.size() > kMaxModels) {
    return ApiError::invalid_request("a key names at most " + std::to_string(kMaxModels) + " models",
                                     "models");
  }
  for (const auto& m : models) {
    if (auto ok = text("model", m); !ok) return ok;
  }
  return Ok{};
}

std::string models_json(const std::vector<std::string>& models) {
  boost::json::array array;
  for (const auto& m : models) array.emplace_back(m);
  return boost::json::serialize(array);
}

Result<std::vector<std::string>> models_from_json(std::string_view text, std::string_view key_id) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  std::vector<std::string> models;
  if (!ec && v.is_array()) {
    for (const auto& m : v.get_array()) {
      if (!m.is_string()) break;
      models.emplace_back(m.get_string());
    }
    if (models.size() == v.get_array().size()) return models;
  }
  return ApiError::server(500, "relay database: the models of key " + std::string(key_id) + " are damaged",
                          "database_error");
}

std::vector<KeyHash> key_hashes(std::vector<ApiKey> keys) {
  std::vector<KeyHash> hashes;
  hashes.reserve(keys.size());
  for (auto& k : keys) {
    hashes.push_back({std::move(k.id), std::move(k.secret_hash), std::move(k.models), k.limits, k.expires_at,
                      k.revoked_at.has_value()});
  }
  return hashes;
}

KeyCheck verdict(std::optional<ApiKey> key, std::string_view secret, UnixSeconds now) {
  if (!key || !api_key::matches(secret, key->secret_hash)) return KeyCheck{KeyVerdict::unknown, std::nullopt};
  switch (key->state(now)) {
    case KeyState::revoked:
      return KeyCheck{KeyVerdict::revoked, std::move(key)};
    case KeyState::expired:
      return KeyCheck{KeyVerdict::expired, std::move(key)};
    case KeyState::active:
      break;
  }
  return KeyCheck{KeyVerdict::ok, std::move(key)};
}

}  // namespace quorum::relay::store_checks
