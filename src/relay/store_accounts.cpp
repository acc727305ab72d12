// The SQLite store's dashboard accounts (sqlite_store.h; the SQL is shared with PostgreSQL:
// store_accounts_shared.h).
#include "relay/sqlite.h"
#include "relay/sqlite_store.h"
#include "relay/store_accounts_shared.h"
#include "relay/store_checks.h"

namespace quorum::relay {

namespace shared = accounts_shared;

namespace {

// The statement in SQLite's dialect, made once per distinct text.
std::string sql(std::string_view text) {
  return shared::dialect(text, false);
}

int64_t one(const sqlite::Statement& st) {
  return st.integer(0);
}

}  // namespace

Result<std::optional<User>> SqliteStore::add_user(std::string_view email, std::string_view password_hash,
                                                  bool is_operator) {
  if (auto ok = shared::email(email); !ok) return ok.take_error();
  User user{shared::new_id("u_"), shared::normal_email(email), std::string(password_hash), is_operator,
            clock_()};
  std::lock_guard lock(mutex_);
  auto added = sqlite::changed_one(*db_, shared::kAddUser, user.id, user.email, user.password_hash,
                                   int64_t{is_operator ? 1 : 0}, user.created_at);
  if (!added) return added.take_error();
  if (!*added) return std::optional<User>();
  return std::optional<User>(std::move(user));
}

Result<std::optional<User>> SqliteStore::user_by_email(std::string_view email) {
  std::lock_guard lock(mutex_);
  return sqlite::first_row<User>(*db_, std::string(shared::kUserColumns) + "WHERE email = ?1",
                                 shared::user<sqlite::Statement>, shared::normal_email(email));
}

Result<std::optional<User>> SqliteStore::user_by_id(std::string_view id) {
  std::lock_guard lock(mutex_);
  return sqlite::first_row<User>(*db_, std::string(shared::kUserColumns) + "WHERE id = ?1",
                                 shared::user<sqlite::Statement>, id);
}

Result<std::vector<User>> SqliteStore::list_users() {
  std::lock_guard lock(mutex_);
  return sqlite::rows<User>(*db_, std::string(shared::kUserColumns) + "ORDER BY email",
                            shared::user<sqlite::Statement>);
}

Result<bool> SqliteStore::remove_user(std::string_view id) {
  std::lock_guard lock(mutex_);
  return sqlite::changed_one(*db_, "DELETE FROM users WHERE id = ?1", id);
}

Status SqliteStore::set_member(std::string_view cluster_id, std::string_view user_id, Role role) {
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(*db_);
  if (auto begun = tx.begin(); !begun) return begun;
  auto live = sqlite::first_row<int64_t>(*db_, shared::kLiveCluster, one, cluster_id);
  if (!live) return live.take_error();
  if (!*live) return ApiError::not_found("no cluster " + std::string(cluster_id), "cluster_id");
  auto user = sqlite::first_row<int64_t>(*db_, shared::kUserExists, one, user_id);
  if (!user) return user.take_error();
  if (!*user) return ApiError::not_found("no user " + std::string(user_id), "user_id");
  if (auto set = sqlite::run(*db_, shared::kSetMember, cluster_id, user_id, role_name(role), clock_()); !set)
    return set;
  return tx.commit();
}

Result<bool> SqliteStore::remove_member(std::string_view cluster_id, std::string_view user_id) {
  std::lock_guard lock(mutex_);
  return sqlite::changed_one(*db_, shared::kRemoveMember, cluster_id, user_id);
}

Result<std::vector<Membership>> SqliteStore::members_of(std::string_view cluster_id) {
  std::lock_guard lock(mutex_);
  return sqlite::rows<Membership>(
      *db_, std::string(shared::kMemberColumns) + "WHERE m.cluster_id = ?1 ORDER BY u.email",
      shared::member<sqlite::Statement>, cluster_id);
}

Result<std::vector<Membership>> SqliteStore::memberships_of(std::string_view user_id) {
  std::lock_guard lock(mutex_);
  return sqlite::rows<Membership>(
      *db_, std::string(shared::kMemberColumns) + "WHERE m.user_id = ?1 ORDER BY m.cluster_id",
      shared::member<sqlite::Statement>, user_id);
}

Result<std::string> SqliteStore::create_web_session(std::string_view user_id) {
  std::string cookie = shared::new_secret("");
  std::lock_guard lock(mutex_);
  if (auto added = sqlite::run(*db_, shared::kAddSession, shared::secret_hash(cookie), user_id, clock_());
      !added)
    return added.take_error();
  return cookie;
}

Result<std::optional<User>> SqliteStore::session_user(std::string_view cookie) {
  const UnixSeconds now = clock_();
  const std::string hash = shared::secret_hash(cookie);
  std::lock_guard lock(mutex_);
  UnixSeconds last_used = 0;
  auto user = sqlite::first_row<User>(
      *db_, shared::kSessionUser,
      [&](const sqlite::Statement& st) {
        last_used = st.integer(5);
        return shared::user(st);
      },
      hash, now - kSessionLifetime, now - kSessionIdle);
  if (!user) return user.take_error();
  if (*user && now - last_used >= kTouchEvery) {
    if (auto touched = sqlite::run(*db_, shared::kTouchSession, now, hash); !touched)
      return touched.take_error();
  }
  return user;
}

Result<bool> SqliteStore::end_web_session(std::string_view cookie) {
  std::lock_guard lock(mutex_);
  return sqlite::changed_one(*db_, shared::kEndSession, shared::secret_hash(cookie));
}

Result<std::string> SqliteStore::create_sign_in_link(std::string_view user_id, UnixSeconds expires_at) {
  std::string token = shared::new_secret("qs_");
  std::lock_guard lock(mutex_);
  if (auto added =
          sqlite::run(*db_, shared::kAddLink, shared::secret_hash(token), user_id, clock_(), expires_at);
      !added)
    return added.take_error();
  return token;
}

Result<std::optional<std::string>> SqliteStore::redeem_sign_in_link(std::string_view token) {
  std::lock_guard lock(mutex_);
  return sqlite::first_row<std::string>(
      *db_, shared::kRedeemLink, [](const sqlite::Statement& st) { return st.text(0); }, clock_(),
      shared::secret_hash(token));
}

Result<NewInvite> SqliteStore::create_invite(std::string_view cluster_id, Role role, std::string_view email,
                                             std::string_view created_by, UnixSeconds expires_at) {
  if (!email.empty()) {
    if (auto ok = shared::email(email); !ok) return ok.take_error();
  }
  if (auto ok = store_checks::text("created_by", created_by); !ok) return ok.take_error();
  NewInvite out;
  out.token = shared::new_secret("qi_");
  out.invite = Invite{shared::new_id("i_"),
                      std::string(cluster_id),
                      role,
                      shared::normal_email(email),
                      std::string(created_by),
                      clock_(),
                      expires_at,
                      std::nullopt,
                      std::nullopt};
  const Invite& i = out.invite;
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(*db_);
  if (auto begun = tx.begin(); !begun) return begun.take_error();
  auto live = sqlite::first_row<int64_t>(*db_, shared::kLiveCluster, one, cluster_id);
  if (!live) return live.take_error();
  if (!*live) return ApiError::not_found("no cluster " + std::string(cluster_id), "cluster_id");
  if (auto added = sqlite::run(*db_, shared::kAddInvite, i.id, shared::secret_hash(out.token), i.cluster_id,
                               role_name(i.role), i.email, i.created_by, i.created_at, i.expires_at);
      !added)
    return added.take_error();
  if (auto committed = tx.commit(); !committed) return committed.take_error();
  return out;
}

Result<std::vector<Invite>> SqliteStore::open_invites(std::string_view cluster_id) {
  std::lock_guard lock(mutex_);
  return sqlite::rows<Invite>(*db_, sql(shared::kOpenInvites), shared::invite<sqlite::Statement>, cluster_id,
                              clock_());
}

Result<bool> SqliteStore::revoke_invite(std::string_view cluster_id, std::string_view id) {
  std::lock_guard lock(mutex_);
  return sqlite::changed_one(*db_, shared::kRevokeInvite, clock_(), id, cluster_id);
}

Result<std::optional<Invite>> SqliteStore::redeem_invite(std::string_view token) {
  std::lock_guard lock(mutex_);
  return sqlite::first_row<Invite>(*db_, shared::kRedeemInvite, shared::invite<sqlite::Statement>, clock_(),
                                   shared::secret_hash(token));
}

Result<AuditEntry> SqliteStore::add_audit(const AuditEntry& entry) {
  if (auto ok = shared::audit_entry(entry); !ok) return ok.take_error();
  AuditEntry out = entry;
  out.at = clock_();
  std::lock_guard lock(mutex_);
  auto id = sqlite::first_row<int64_t>(*db_, shared::kAddAudit, one, out.cluster_id, out.at, out.actor,
                                       out.action, out.object, out.detail);
  if (!id) return id.take_error();
  out.id = id->value_or(0);
  return out;
}

Result<std::vector<AuditEntry>> SqliteStore::audit_of(std::string_view cluster_id, int64_t limit) {
  std::lock_guard lock(mutex_);
  return sqlite::rows<AuditEntry>(*db_, shared::kAuditOf, shared::audit<sqlite::Statement>, cluster_id,
                                  limit);
}

}  // namespace quorum::relay
