#include "relay/store_accounts_shared.h"

#include <boost/json.hpp>

#include "cluster/crypto.h"

namespace quorum::relay {

std::string_view role_name(Role role) {
  switch (role) {
    case Role::owner:
      return "owner";
    case Role::admin:
      return "admin";
    case Role::viewer:
      break;
  }
  return "viewer";
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "owner") return Role::owner;
  if (text == "admin") return Role::admin;
  if (text == "viewer") return Role::viewer;
  return std::nullopt;
}

namespace accounts_shared {

std::string dialect(std::string_view sql, bool postgres) {
  std::string out;
  out.reserve(sql.size() + 16);
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql.substr(i, 3) == "{C}") {
      if (postgres) out += "COLLATE \"C\"";
      i += 2;
    } else if (postgres && sql[i] == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out += '$';
    } else {
      out += sql[i];
    }
  }
  return out;
}

std::string new_secret(std::string_view prefix) {
  const std::string hex = cluster::random_hex(32);
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return std::string(prefix) + cluster::base64url_encode(bytes);
}

std::string new_id(std::string_view prefix) {
  return std::string(prefix) + cluster::random_hex(8);
}

std::string secret_hash(std::string_view secret) {
  return cluster::sha256_hex(secret);
}

std::string normal_email(std::string_view email) {
  std::string out(email);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status email(std::string_view email) {
  const auto at = email.find('@');
  bool clean = email.size() >= 3 && email.size() <= 254 && at != std::string_view::npos && at > 0 &&
               at + 1 < email.size() && email.find('@', at + 1) == std::string_view::npos;
  for (char c : email) clean = clean && static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  if (!clean) return ApiError::invalid_request("email is not an email address", "email");
  return Ok{};
}

Status audit_entry(const AuditEntry& entry) {
  boost::system::error_code ec;
  const auto detail = boost::json::parse(entry.detail, ec);
  if (ec || !detail.is_object() || entry.detail.size() > 4096) {
    return ApiError::invalid_request("an audit entry's detail is not a JSON object of at most 4096 bytes",
                                     "detail");
  }
  if (entry.cluster_id.empty() || entry.actor.empty() || entry.action.empty()) {
    return ApiError::invalid_request("an audit entry needs a cluster, an actor and an action");
  }
  return Ok{};
}

}  // namespace accounts_shared

}  // namespace quorum::relay
