// What both stores' accounts (store_accounts.cpp, pg_store_accounts.cpp) share: the SQL, written once with
// SQLite's ?N parameters and turned into PostgreSQL's $N by dialect(); the row readers; the checks of their
// arguments; and the secrets they hand out. Not part of the Store's interface.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "relay/accounts.h"

namespace quorum::relay::accounts_shared {

// `sql` for PostgreSQL (`postgres`: ?N becomes $N and {C} becomes COLLATE "C", so that text sorts byte-wise
// as in SQLite) or SQLite ({C} removed).
std::string dialect(std::string_view sql, bool postgres);

// A new secret: `prefix` and 32 random bytes in base64url ("qs_…", "qi_…"; "" for a session cookie).
std::string new_secret(std::string_view prefix);
// A new id: `prefix` and 16 random hex characters.
std::string new_id(std::string_view prefix);
// What the stores keep of a secret: SHA-256, hex.
std::string secret_hash(std::string_view secret);

// The email lowercased (ASCII), as stored and looked up.
std::string normal_email(std::string_view email);
// 3 to 254 bytes, one '@' with text on both sides, no control character or space.
Status email(std::string_view email);
// A JSON object of at most 4096 bytes.
Status audit_entry(const AuditEntry& entry);

inline constexpr const char* kUserColumns =
    "SELECT id, email, coalesce(password_hash, ''), is_operator, created_at FROM users ";
inline constexpr const char* kMemberColumns =
    "SELECT m.cluster_id, m.user_id, u.email, m.role, m.created_at FROM memberships m "
    "JOIN users u ON u.id = m.user_id ";
inline constexpr const char* kInviteColumns =
    "id, cluster_id, role, email, created_by, created_at, expires_at, used_at, revoked_at";
inline constexpr const char* kAuditColumns = "id, cluster_id, at, actor, action, object, detail";

inline constexpr const char* kAddUser =
    "INSERT INTO users (id, email, password_hash, is_operator, created_at) VALUES (?1, ?2, NULLIF(?3, ''), "
    "?4, "
    "?5) ON CONFLICT (email) DO NOTHING";
inline constexpr const char* kLiveCluster = "SELECT 1 FROM clusters WHERE id = ?1 AND revoked_at IS NULL";
inline constexpr const char* kUserExists = "SELECT 1 FROM users WHERE id = ?1";
inline constexpr const char* kSetMember =
    "INSERT INTO memberships (cluster_id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (cluster_id, user_id) DO UPDATE SET role = excluded.role";
inline constexpr const char* kRemoveMember = "DELETE FROM memberships WHERE cluster_id = ?1 AND user_id = ?2";
inline constexpr const char* kAddSession =
    "INSERT INTO web_sessions (id_hash, user_id, created_at, last_used_at) VALUES (?1, ?2, ?3, ?3)";
// ?1 the hash, ?2 the oldest start still live, ?3 the oldest last use still live.
inline constexpr const char* kSessionUser =
    "SELECT u.id, u.email, coalesce(u.password_hash, ''), u.is_operator, u.created_at, s.last_used_at "
    "FROM web_sessions s JOIN users u ON u.id = s.user_id "
    "WHERE s.id_hash = ?1 AND s.created_at > ?2 AND s.last_used_at > ?3";
inline constexpr const char* kTouchSession = "UPDATE web_sessions SET last_used_at = ?1 WHERE id_hash = ?2";
inline constexpr const char* kEndSession = "DELETE FROM web_sessions WHERE id_hash = ?1";
inline constexpr const char* kAddLink =
    "INSERT INTO sign_in_links (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)";
inline constexpr const char* kRedeemLink =
    "UPDATE sign_in_links SET used_at = ?1 WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1 "
    "RETURNING user_id";
inline constexpr const char* kAddInvite =
    "INSERT INTO invites (id, token_hash, cluster_id, role, email, created_by, created_at, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
inline constexpr const char* kOpenInvites =
    "SELECT id, cluster_id, role, email, created_by, created_at, expires_at, used_at, revoked_at FROM "
    "invites "
    "WHERE cluster_id = ?1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?2 "
    "ORDER BY created_at, id {C}";
inline constexpr const char* kRevokeInvite =
    "UPDATE invites SET revoked_at = ?1 WHERE id = ?2 AND cluster_id = ?3 AND used_at IS NULL AND "
    "revoked_at IS NULL";
inline constexpr const char* kRedeemInvite =
    "UPDATE invites SET used_at = ?1 WHERE token_hash = ?2 AND used_at IS NULL AND revoked_at IS NULL AND "
    "expires_at > ?1 RETURNING id, cluster_id, role, email, created_by, created_at, expires_at, used_at, "
    "revoked_at";
inline constexpr const char* kAddAudit =
    "INSERT INTO audit_log (cluster_id, at, actor, action, object, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "RETURNING id";
inline constexpr const char* kAuditOf =
    "SELECT id, cluster_id, at, actor, action, object, detail FROM audit_log WHERE cluster_id = ?1 "
    "ORDER BY id DESC LIMIT ?2";

// id, email, password_hash, is_operator, created_at
template <class Row>
User user(const Row& r) {
  return {r.text(0), r.text(1), r.text(2), r.integer(3) != 0, r.integer(4)};
}

// cluster_id, user_id, email, role, created_at (a role the schema would not hold reads as viewer)
template <class Row>
Membership member(const Row& r) {
  return {r.text(0), r.text(1), r.text(2), parse_role(r.text(3)).value_or(Role::viewer), r.integer(4)};
}

// kInviteColumns
template <class Row>
Invite invite(const Row& r) {
  return {r.text(0),
          r.text(1),
          parse_role(r.text(2)).value_or(Role::viewer),
          r.text(3),
          r.text(4),
          r.integer(5),
          r.integer(6),
          r.optional_integer(7),
          r.optional_integer(8)};
}

// kAuditColumns
template <class Row>
AuditEntry audit(const Row& r) {
  return {r.integer(0), r.text(1), r.integer(2), r.text(3), r.text(4), r.text(5), r.text(6)};
}

}  // namespace quorum::relay::accounts_shared
