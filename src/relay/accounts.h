// The dashboard's accounts, as the Store keeps them (docs/dashboard-api.md): users, their roles in clusters,
// web sessions, one-time sign-in links and invites, and the audit log. Secrets (session cookies, link and
// invite tokens) are kept as SHA-256 of their text only; passwords as argon2id hashes (password_hash.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace quorum::relay {

using UnixSeconds = int64_t;

// A user's role in one cluster; the order is the order of power.
enum class Role { viewer = 0, admin = 1, owner = 2 };

std::string_view role_name(Role role);
// nullopt for anything but "owner", "admin", "viewer".
std::optional<Role> parse_role(std::string_view text);

// Sessions end 30 days after sign-in, or 7 days after their last use.
inline constexpr UnixSeconds kSessionLifetime = 30 * 86400;
inline constexpr UnixSeconds kSessionIdle = 7 * 86400;

struct User {
  std::string id;
  std::string email;          // lowercased
  std::string password_hash;  // "" when the user has no password (sign-in links only)
  bool is_operator = false;   // sees and owns every cluster of the relay
  UnixSeconds created_at = 0;
};

struct Membership {
  std::string cluster_id;
  std::string user_id;
  std::string email;
  Role role = Role::viewer;
  UnixSeconds created_at = 0;
};

struct Invite {
  std::string id;
  std::string cluster_id;
  Role role = Role::viewer;
  std::string email;  // "" for whoever holds the link
  std::string created_by;
  UnixSeconds created_at = 0;
  UnixSeconds expires_at = 0;
  std::optional<UnixSeconds> used_at;
  std::optional<UnixSeconds> revoked_at;
};

struct NewInvite {
  Invite invite;
  std::string token;  // "qi_…", shown once
};

struct AuditEntry {
  int64_t id = 0;  // set by the store
  std::string cluster_id;
  UnixSeconds at = 0;  // set by the store
  std::string actor;   // an email, "cli" or "node:<id>"
  std::string action;  // "key.create", "member.role", …
  std::string object;
  std::string detail = "{}";  // a JSON object
};

}  // namespace quorum::relay
