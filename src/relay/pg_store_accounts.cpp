// The PostgreSQL store's dashboard accounts (pg_store.h), as the SQLite store's (store_accounts.cpp), with
// the same SQL (store_accounts_shared.h).
#include "relay/pg_store.h"
#include "relay/pg_store_support.h"
#include "relay/store_accounts_shared.h"
#include "relay/store_checks.h"

namespace quorum::relay {

namespace shared = accounts_shared;
using pg_support::params;

namespace {

std::string sql(std::string_view text) {
  return shared::dialect(text, true);
}

}  // namespace

StoreTask<std::optional<User>> PgStore::add_user(std::string_view email, std::string_view password_hash,
                                                 bool is_operator) {
  if (auto ok = shared::email(email); !ok) co_return ok.take_error();
  User user{shared::new_id("u_"), shared::normal_email(email), std::string(password_hash), is_operator,
            clock_()};
  auto added = co_await pg_support::changed_one(
      *pool_, sql(shared::kAddUser),
      params(user.id, user.email, user.password_hash, int64_t{is_operator ? 1 : 0}, user.created_at));
  if (!added) co_return added.take_error();
  if (!*added) co_return std::optional<User>();
  co_return std::optional<User>(std::move(user));
}

StoreTask<std::optional<User>> PgStore::user_by_email(std::string_view email) {
  co_return co_await pg_support::first_row<User>(*pool_,
                                                 std::string(shared::kUserColumns) + "WHERE email = $1",
                                                 params(shared::normal_email(email)), shared::user<pg::Row>);
}

StoreTask<std::optional<User>> PgStore::user_by_id(std::string_view id) {
  co_return co_await pg_support::first_row<User>(*pool_, std::string(shared::kUserColumns) + "WHERE id = $1",
                                                 params(id), shared::user<pg::Row>);
}

StoreTask<std::vector<User>> PgStore::list_users() {
  co_return co_await pg_support::rows<User>(
      *pool_, std::string(shared::kUserColumns) + "ORDER BY email COLLATE \"C\"", {}, shared::user<pg::Row>);
}

StoreTask<bool> PgStore::remove_user(std::string_view id) {
  co_return co_await pg_support::changed_one(*pool_, "DELETE FROM users WHERE id = $1", params(id));
}

StoreTask<Ok> PgStore::set_member(std::string_view cluster_id, std::string_view user_id, Role role) {
  const UnixSeconds now = clock_();
  co_return co_await pg_support::transaction<Ok>(*pool_, [&](pg::Lease& c) -> pg::Task<Result<Ok>> {
    auto live = co_await c->query(sql(shared::kLiveCluster) + " FOR SHARE", params(cluster_id));
    if (!live) co_return live.take_error();
    if (live->rows.empty())
      co_return ApiError::not_found("no cluster " + std::string(cluster_id), "cluster_id");
    auto user = co_await c->query(sql(shared::kUserExists) + " FOR SHARE", params(user_id));
    if (!user) co_return user.take_error();
    if (user->rows.empty()) co_return ApiError::not_found("no user " + std::string(user_id), "user_id");
    auto set = co_await c->query(sql(shared::kSetMember), params(cluster_id, user_id, role_name(role), now));
    if (!set) co_return set.take_error();
    co_return Ok{};
  });
}

StoreTask<bool> PgStore::remove_member(std::string_view cluster_id, std::string_view user_id) {
  co_return co_await pg_support::changed_one(*pool_, sql(shared::kRemoveMember), params(cluster_id, user_id));
}

StoreTask<std::vector<Membership>> PgStore::members_of(std::string_view cluster_id) {
  co_return co_await pg_support::rows<Membership>(
      *pool_, std::string(shared::kMemberColumns) + "WHERE m.cluster_id = $1 ORDER BY u.email COLLATE \"C\"",
      params(cluster_id), shared::member<pg::Row>);
}

StoreTask<std::vector<Membership>> PgStore::memberships_of(std::string_view user_id) {
  co_return co_await pg_support::rows<Membership>(
      *pool_,
      std::string(shared::kMemberColumns) + "WHERE m.user_id = $1 ORDER BY m.cluster_id COLLATE \"C\"",
      params(user_id), shared::member<pg::Row>);
}

StoreTask<std::string> PgStore::create_web_session(std::string_view user_id) {
  std::string cookie = shared::new_secret("");
  auto added =
      co_await pool_->query(sql(shared::kAddSession), params(shared::secret_hash(cookie), user_id, clock_()));
  if (!added) co_return added.take_error();
  co_return cookie;
}

StoreTask<std::optional<User>> PgStore::session_user(std::string_view cookie) {
  const UnixSeconds now = clock_();
  const std::string hash = shared::secret_hash(cookie);
  auto found = co_await pool_->query(sql(shared::kSessionUser),
                                     params(hash, now - kSessionLifetime, now - kSessionIdle));
  if (!found) co_return found.take_error();
  if (found->rows.empty()) co_return std::optional<User>();
  const pg::Row& row = found->rows.front();
  User user = shared::user(row);
  if (now - row.integer(5) >= kTouchEvery) {
    auto touched = co_await pool_->query(sql(shared::kTouchSession), params(now, hash));
    if (!touched) co_return touched.take_error();
  }
  co_return std::optional<User>(std::move(user));
}

StoreTask<bool> PgStore::end_web_session(std::string_view cookie) {
  co_return co_await pg_support::changed_one(*pool_, sql(shared::kEndSession),
                                             params(shared::secret_hash(cookie)));
}

StoreTask<std::string> PgStore::create_sign_in_link(std::string_view user_id, UnixSeconds expires_at) {
  std::string token = shared::new_secret("qs_");
  auto added = co_await pool_->query(sql(shared::kAddLink),
                                     params(shared::secret_hash(token), user_id, clock_(), expires_at));
  if (!added) co_return added.take_error();
  co_return token;
}

StoreTask<std::optional<std::string>> PgStore::redeem_sign_in_link(std::string_view token) {
  co_return co_await pg_support::first_row<std::string>(*pool_, sql(shared::kRedeemLink),
                                                        params(clock_(), shared::secret_hash(token)),
                                                        [](const pg::Row& r) { return r.text(0); });
}

StoreTask<NewInvite> PgStore::create_invite(std::string_view cluster_id, Role role, std::string_view email,
                                            std::string_view created_by, UnixSeconds expires_at) {
  if (!email.empty()) {
    if (auto ok = shared::email(email); !ok) co_return ok.take_error();
  }
  if (auto ok = store_checks::text("created_by", created_by); !ok) co_return ok.take_error();
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
  auto made = co_await pg_support::transaction<Ok>(*pool_, [&](pg::Lease& c) -> pg::Task<Result<Ok>> {
    auto live = co_await c->query(sql(shared::kLiveCluster) + " FOR SHARE", params(cluster_id));
    if (!live) co_return live.take_error();
    if (live->rows.empty())
      co_return ApiError::not_found("no cluster " + std::string(cluster_id), "cluster_id");
    const Invite& i = out.invite;
    auto added = co_await c->query(
        sql(shared::kAddInvite), params(i.id, shared::secret_hash(out.token), i.cluster_id, role_name(i.role),
                                        i.email, i.created_by, i.created_at, i.expires_at));
    if (!added) co_return added.take_error();
    co_return Ok{};
  });
  if (!made) co_return made.take_error();
  co_return out;
}

StoreTask<std::vector<Invite>> PgStore::open_invites(std::string_view cluster_id) {
  co_return co_await pg_support::rows<Invite>(*pool_, sql(shared::kOpenInvites), params(cluster_id, clock_()),
                                              shared::invite<pg::Row>);
}

StoreTask<bool> PgStore::revoke_invite(std::string_view cluster_id, std::string_view id) {
  co_return co_await pg_support::changed_one(*pool_, sql(shared::kRevokeInvite),
                                             params(clock_(), id, cluster_id));
}

StoreTask<std::optional<Invite>> PgStore::redeem_invite(std::string_view token) {
  co_return co_await pg_support::first_row<Invite>(*pool_, sql(shared::kRedeemInvite),
                                                   params(clock_(), shared::secret_hash(token)),
                                                   shared::invite<pg::Row>);
}

StoreTask<AuditEntry> PgStore::add_audit(const AuditEntry& entry) {
  if (auto ok = shared::audit_entry(entry); !ok) co_return ok.take_error();
  AuditEntry out = entry;
  out.at = clock_();
  auto id = co_await pool_->query(
      sql(shared::kAddAudit), params(out.cluster_id, out.at, out.actor, out.action, out.object, out.detail));
  if (!id) co_return id.take_error();
  out.id = id->rows.empty() ? 0 : id->rows.front().integer(0);
  co_return out;
}

StoreTask<std::vector<AuditEntry>> PgStore::audit_of(std::string_view cluster_id, int64_t limit) {
  co_return co_await pg_support::rows<AuditEntry>(*pool_, sql(shared::kAuditOf), params(cluster_id, limit),
                                                  shared::audit<pg::Row>);
}

}  // namespace quorum::relay
