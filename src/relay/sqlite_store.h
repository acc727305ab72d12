// The Store (store.h) in SQLite, synchronous: one file, <dir>/relay.db (directory 0700 when created here,
// file 0600 always), in WAL mode with a busy timeout and foreign keys on; the schema is migrated on open
// (store_schema.h). Each call is a few statements on a local file, so the asynchronous Store over it
// (open_store) completes them inline. The calls and their errors are those of store.h; a database locked by
// another process past the busy timeout (5 s) is a 503.
//
// Thread-safe: one mutex serialises the calls.
#pragma once

#include <memory>
#include <mutex>

#include "relay/store.h"

namespace quorum::relay {

namespace sqlite {
class Database;
}

class SqliteStore {
 public:
  // Opens or creates <dir>/relay.db (creating `dir` with mode 0700 when missing) and migrates it. `clock`
  // gives every time the store writes.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& dir, Clock clock = unix_now);
  ~SqliteStore();
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // ---- enrolment tokens (single use; a cluster's first node presents one) ----
  // A new token's full text ("qe_…"), shown once; only its hash is kept.
  Result<std::string> create_enrol_token(std::string_view note);
  // Spends the token on `cluster_id`: true once; false when the token is malformed, unknown, wrong, used or
  // revoked. Then add_cluster() (a token spent on a cluster that add_cluster() then refuses stays spent).
  Result<bool> redeem_enrol_token(std::string_view text, std::string_view cluster_id);
  Result<std::vector<EnrolToken>> list_enrol_tokens();  // oldest first
  // False when there is no such token. Revoking again keeps the first time.
  Result<bool> revoke_enrol_token(std::string_view id);

  // ---- clusters ----
  // Adds a cluster (id, name, enrol_public_key are used; times are set here). False when the id exists.
  Result<bool> add_cluster(const Cluster& cluster);
  Result<std::optional<Cluster>> cluster(std::string_view id);
  // Revokes the cluster and, in the same transaction, its nodes and keys not yet revoked. False when unknown.
  Result<bool> revoke_cluster(std::string_view id);
  Result<std::vector<Cluster>> list_clusters();  // oldest first

  // ---- nodes ----
  // Enrols (id, cluster_id, name, public_key are used) or re-enrols: the same id in the same cluster gets the
  // new name and key (enrolled_at set to now) unless revoked. See EnrolResult.
  Result<EnrolResult> enrol_node(const Node& node);
  Result<std::optional<Node>> node(std::string_view id);
  // False when unknown. A revoked node cannot enrol again.
  Result<bool> revoke_node(std::string_view id);
  Result<std::vector<Node>> nodes_of(std::string_view cluster_id);  // by name, then id
  // Sets last_seen_at to `at` when that moves it forward by kTouchEvery or more (so it may be called on every
  // message: the others read, and write nothing). False when unknown.
  Result<bool> touch_node(std::string_view id, UnixSeconds at);

  // ---- presence: one row per connection of a node (transitions only, never heartbeats) ----
  // A session that starts now; its id. Sets the node's last_seen_at.
  Result<int64_t> session_opened(std::string_view node_id);
  // Ends a session now with `reason` ("closed", "replaced", "timeout", …). False when unknown or already
  // closed. Sets the node's last_seen_at.
  Result<bool> session_closed(int64_t session_id, std::string_view reason);
  // Ends every session still open with `reason`: at start-up, for those a previous run left open. The count.
  Result<int64_t> close_open_sessions(std::string_view reason);
  // Deletes the sessions that ended before `before`. The count.
  Result<int64_t> prune_sessions(UnixSeconds before);

  // ---- API keys ----
  // A new key of the cluster (which must exist, not revoked: 404 otherwise): its full text ("qk_…"), shown
  // once; only its hash is kept. `models` empty: every model; `expires_at` nullopt: never.
  Result<std::string> create_key(std::string_view cluster_id, std::string_view name, const KeyLimits& limits,
                                 const std::vector<std::string>& models = {},
                                 std::optional<UnixSeconds> expires_at = std::nullopt);
  Result<std::optional<ApiKey>> find_key(std::string_view id);
  Result<std::vector<ApiKey>> keys_of(std::string_view cluster_id);  // oldest first
  // False when the key is not `cluster_id`'s (or unknown). Revoking again keeps the first time.
  Result<bool> revoke_key(std::string_view cluster_id, std::string_view id);
  Result<std::vector<KeyHash>> key_hashes_of(std::string_view cluster_id);  // revoked ones included
  // Sets last_used_at to `at`, as touch_node() does (may be called on every request). False when unknown.
  Result<bool> touch_key(std::string_view id, UnixSeconds at);
  // Everything the relay asks of a bearer key: parse, look up, compare the secret (constant time), state now.
  Result<KeyCheck> check_key(std::string_view text);

  // ---- usage (daily aggregates; counts only) ----
  // Adds the record's counts to its day's row (creating it). The cluster must exist. Each call is a
  // transaction synced to disk: gather a busy relay's records in a UsageBatch (usage_batch.h) and write them
  // every few seconds.
  Status record_usage(const UsageRecord& record);
  // The same for a batch, in one transaction: all are added or none.
  Status record_usage(std::span<const UsageRecord> records);
  // The rows of `cluster_id` from `from_day` to `to_day` (both included), by day, key, node, model. The
  // bounds need only the shape YYYY-MM-DD ("0000-00-00" to "9999-99-99" is everything).
  Result<std::vector<UsageRecord>> usage(std::string_view cluster_id, std::string_view from_day,
                                         std::string_view to_day);

  // ---- relays sharing this database (store.h) ----
  Status announce_relay(std::string_view id, std::string_view url);
  Result<std::vector<RelayRecord>> relays_seen_since(UnixSeconds since);
  Result<bool> remove_relay(std::string_view id);
  Result<std::string> mesh_secret();

  // ---- the dashboard's accounts (store.h says what each does) ----
  Result<std::optional<User>> add_user(std::string_view email, std::string_view password_hash,
                                       bool is_operator);
  Result<std::optional<User>> user_by_email(std::string_view email);
  Result<std::optional<User>> user_by_id(std::string_view id);
  Result<std::vector<User>> list_users();
  Result<bool> remove_user(std::string_view id);
  Status set_member(std::string_view cluster_id, std::string_view user_id, Role role);
  Result<bool> remove_member(std::string_view cluster_id, std::string_view user_id);
  Result<std::vector<Membership>> members_of(std::string_view cluster_id);
  Result<std::vector<Membership>> memberships_of(std::string_view user_id);
  Result<std::string> create_web_session(std::string_view user_id);
  Result<std::optional<User>> session_user(std::string_view cookie);
  Result<bool> end_web_session(std::string_view cookie);
  Result<std::string> create_sign_in_link(std::string_view user_id, UnixSeconds expires_at);
  Result<std::optional<std::string>> redeem_sign_in_link(std::string_view token);
  Result<NewInvite> create_invite(std::string_view cluster_id, Role role, std::string_view email,
                                  std::string_view created_by, UnixSeconds expires_at);
  Result<std::vector<Invite>> open_invites(std::string_view cluster_id);
  Result<bool> revoke_invite(std::string_view cluster_id, std::string_view id);
  Result<std::optional<Invite>> redeem_invite(std::string_view token);
  Result<AuditEntry> add_audit(const AuditEntry& entry);
  Result<std::vector<AuditEntry>> audit_of(std::string_view cluster_id, int64_t limit);

  // PRAGMA user_version (for tests and `quorum-relay` diagnostics).
  Result<int> schema_version();

 private:
  SqliteStore(std::unique_ptr<sqlite::Database> db, Clock clock);
  // REQUIRES (both): mutex_ held.
  Status add_usage(const UsageRecord& record);
  // Runs `update` (?1 the time, ?2 the id, ?3 kTouchEvery); when it changed nothing, whether `exists` (?1 the
  // id) finds the row.
  Result<bool> touch(std::string_view update, std::string_view exists, std::string_view id, UnixSeconds at);

  std::mutex mutex_;
  std::unique_ptr<sqlite::Database> db_;
  Clock clock_;
};

}  // namespace quorum::relay
