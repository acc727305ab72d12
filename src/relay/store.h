// The relay's persistent state (its control plane): enrolment tokens, clusters, nodes and their connection
// sessions, API keys, and daily usage. One interface, two databases with the same schema and behaviour:
// SQLite, one file in the data directory (sqlite_store.h, the default), and PostgreSQL for relays that
// outgrow one machine (pg_store.h). The schema is migrated when a store opens (store_schema.h, pg_schema.h).
//
// Secrets: keys and tokens are stored as SHA-256 of their secret only (api_key.h); their full text is
// returned once, by the call that creates them. Nodes and clusters are known by Ed25519 public keys
// (signing_key.h): a cluster's enrolment key is derived from the cluster secret, which the relay never sees.
// Usage is counts per day, key, node and model: no column holds prompt or completion text.
//
// Every call is an awaitable for the relay's coroutines, run on the executor the store was opened with (the
// SQLite store completes inline; the PostgreSQL one waits on its sockets, never blocking the loop). Every
// call returns its error as a value: 400 for an argument the store refuses (an empty or over-long name, a
// public key that is not 32 bytes, a malformed day), 404 where it says so, 503 when the database is
// unavailable for now (SQLite locked by another process past its busy timeout; PostgreSQL unreachable or its
// connection lost: the next call connects again), 500 for the database failing. Text arguments are bound as
// parameters and stored verbatim. Times are Unix seconds from the clock given to open_store(). The
// arguments a call is given (views, spans) must live until it completes: co_await it at once.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/api_key.h"
#include "core/result.h"
#include "relay/accounts.h"
#include "relay/key_limits.h"
#include "relay/mesh_registry.h"

namespace quorum::relay {

namespace api_key = auth::api_key;

using Clock = std::function<UnixSeconds()>;
// The system clock, in Unix seconds.
UnixSeconds unix_now();
// "YYYY-MM-DD" of the UTC day that `t` falls in.
std::string utc_day(UnixSeconds t);

// Text arguments (names, notes, models, reasons, ids) are at most this many bytes, without control
// characters.
inline constexpr size_t kMaxTextBytes = 256;
// last_seen_at and last_used_at move in steps of at least this many seconds: a write (and its fsync) at most
// once a minute per node or key, however often they are touched.
inline constexpr UnixSeconds kTouchEvery = 60;

struct EnrolToken {
  std::string id;
  std::string note;
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> used_at;
  std::string cluster_id;  // the cluster it enrolled; "" until used
  std::optional<UnixSeconds> revoked_at;
};

struct Cluster {
  std::string id;  // the cluster fingerprint
  std::string name;
  std::string enrol_public_key;  // 32 raw bytes (Ed25519)
  UnixSeconds created_at = 0;    // set by the store
  std::optional<UnixSeconds> revoked_at;
};

struct Node {
  std::string id;
  std::string cluster_id;
  std::string name;
  std::string public_key;       // 32 raw bytes (Ed25519)
  UnixSeconds enrolled_at = 0;  // set by the store: when this public key was enrolled
  std::optional<UnixSeconds> revoked_at;
  std::optional<UnixSeconds> last_seen_at;
};

enum class EnrolResult {
  enrolled,       // new, or the same node again (its name and key replaced)
  no_cluster,     // the cluster is unknown or revoked
  node_revoked,   // this node id was revoked: it stays out
  other_cluster,  // this node id is enrolled in another cluster (revoke it there first)
};

enum class KeyState { active, expired, revoked };

struct ApiKey {
  std::string id;
  std::string cluster_id;
  std::string name;
  std::string secret_hash;          // api_key::secret_hash of the secret
  std::vector<std::string> models;  // the models it may use; empty: every model
  KeyLimits limits;
  std::optional<UnixSeconds> expires_at;
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> last_used_at;
  std::optional<UnixSeconds> revoked_at;

  // revoked if revoked_at is set; else expired if expires_at <= now; else active.
  KeyState state(UnixSeconds now) const;
  // True when `models` is empty or names `model` exactly.
  bool allows(std::string_view model) const;
};

// What the relay sends a cluster's nodes so that its keys keep working on their LAN.
struct KeyHash {
  std::string id;
  std::string secret_hash;
  std::vector<std::string> models;
  KeyLimits limits;
  std::optional<UnixSeconds> expires_at;
  bool revoked = false;
};

enum class KeyVerdict {
  ok,         // a well-formed key, known, its secret right, not revoked nor expired
  malformed,  // not a key (api_key::parse refused it)
  unknown,    // no key with this id, or the secret is wrong (told apart by nobody)
  revoked,
  expired,
};

struct KeyCheck {
  KeyVerdict verdict = KeyVerdict::unknown;
  std::optional<ApiKey> key;  // set for ok, revoked and expired
};

// A day's counts for one (cluster, key, node, model); also a row of usage().
struct UsageRecord {
  std::string day;  // "YYYY-MM-DD", UTC (utc_day)
  std::string cluster_id;
  std::string key_id;  // "" for node-to-node traffic
  std::string node_id;
  std::string model;
  uint64_t requests = 0;
  uint64_t failed = 0;
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
};

template <class T>
using StoreTask = boost::asio::awaitable<Result<T>>;

class Store {
 public:
  virtual ~Store() = default;

  // "sqlite" or "postgres".
  virtual std::string_view backend() const = 0;

  // ---- enrolment tokens (single use; a cluster's first node presents one) ----
  // A new token's full text ("qe_…"), shown once; only its hash is kept.
  virtual StoreTask<std::string> create_enrol_token(std::string_view note) = 0;
  // Spends the token on `cluster_id`: true once; false when the token is malformed, unknown, wrong, used or
  // revoked. Then add_cluster() (a token spent on a cluster that add_cluster() then refuses stays spent).
  virtual StoreTask<bool> redeem_enrol_token(std::string_view text, std::string_view cluster_id) = 0;
  virtual StoreTask<std::vector<EnrolToken>> list_enrol_tokens() = 0;  // oldest first
  // False when there is no such token. Revoking again keeps the first time.
  virtual StoreTask<bool> revoke_enrol_token(std::string_view id) = 0;

  // ---- clusters ----
  // Adds a cluster (id, name, enrol_public_key are used; times are set here). False when the id exists.
  virtual StoreTask<bool> add_cluster(const Cluster& cluster) = 0;
  virtual StoreTask<std::optional<Cluster>> cluster(std::string_view id) = 0;
  // Revokes the cluster and, in the same transaction, its nodes and keys not yet revoked. False when unknown.
  virtual StoreTask<bool> revoke_cluster(std::string_view id) = 0;
  virtual StoreTask<std::vector<Cluster>> list_clusters() = 0;  // oldest first

  // ---- nodes ----
  // Enrols (id, cluster_id, name, public_key are used) or re-enrols: the same id in the same cluster gets the
  // new name and key (enrolled_at set to now) unless revoked. See EnrolResult.
  virtual StoreTask<EnrolResult> enrol_node(const Node& node) = 0;
  virtual StoreTask<std::optional<Node>> node(std::string_view id) = 0;
  // False when unknown. A revoked node cannot enrol again.
  virtual StoreTask<bool> revoke_node(std::string_view id) = 0;
  virtual StoreTask<std::vector<Node>> nodes_of(std::string_view cluster_id) = 0;  // by name, then id
  // Sets last_seen_at to `at` when that moves it forward by kTouchEvery or more (so it may be called on every
  // message: the others read, and write nothing). False when unknown.
  virtual StoreTask<bool> touch_node(std::string_view id, UnixSeconds at) = 0;

  // ---- presence: one row per connection of a node (transitions only, never heartbeats) ----
  // A session that starts now; its id. Sets the node's last_seen_at.
  virtual StoreTask<int64_t> session_opened(std::string_view node_id) = 0;
  // Ends a session now with `reason` ("closed", "replaced", "timeout", …). False when unknown or already
  // closed. Sets the node's last_seen_at.
  virtual StoreTask<bool> session_closed(int64_t session_id, std::string_view reason) = 0;
  // Ends every session still open with `reason`: at start-up, for those a previous run left open. The count.
  virtual StoreTask<int64_t> close_open_sessions(std::string_view reason) = 0;
  // Deletes the sessions that ended before `before`. The count.
  virtual StoreTask<int64_t> prune_sessions(UnixSeconds before) = 0;

  // ---- API keys ----
  // A new key of the cluster (which must exist, not revoked: 404 otherwise): its full text ("qk_…"), shown
  // once; only its hash is kept. `models` empty: every model; `expires_at` nullopt: never.
  virtual StoreTask<std::string> create_key(std::string_view cluster_id, std::string_view name,
                                            const KeyLimits& limits, const std::vector<std::string>& models,
                                            std::optional<UnixSeconds> expires_at) = 0;
  virtual StoreTask<std::optional<ApiKey>> find_key(std::string_view id) = 0;
  virtual StoreTask<std::vector<ApiKey>> keys_of(std::string_view cluster_id) = 0;  // oldest first
  // False when the key is not `cluster_id`'s (or unknown). Revoking again keeps the first time.
  virtual StoreTask<bool> revoke_key(std::string_view cluster_id, std::string_view id) = 0;
  virtual StoreTask<std::vector<KeyHash>> key_hashes_of(std::string_view cluster_id) = 0;  // revoked included
  // Sets last_used_at to `at`, as touch_node() does (may be called on every request). False when unknown.
  virtual StoreTask<bool> touch_key(std::string_view id, UnixSeconds at) = 0;
  // Everything the relay asks of a bearer key: parse, look up, compare the secret (constant time), state now.
  virtual StoreTask<KeyCheck> check_key(std::string_view text) = 0;

  // ---- usage (daily aggregates; counts only) ----
  // Adds the records' counts to their days' rows (creating them), in one transaction: all are added or none.
  // Each cluster must exist. Each call is a synced transaction: gather a busy relay's records in a UsageBatch
  // (usage_batch.h) and write them every few seconds.
  virtual StoreTask<Ok> record_usage(std::span<const UsageRecord> records) = 0;
  // The rows of `cluster_id` from `from_day` to `to_day` (both included), by day, key, node, model. The
  // bounds need only the shape YYYY-MM-DD ("0000-00-00" to "9999-99-99" is everything).
  virtual StoreTask<std::vector<UsageRecord>> usage(std::string_view cluster_id, std::string_view from_day,
                                                    std::string_view to_day) = 0;

  // ---- relays sharing this database (mesh_registry.h) ----
  // Registers relay `id` at `url`, or refreshes its row: last_seen_at is now (and url replaced); started_at
  // is set when the row is made.
  virtual StoreTask<Ok> announce_relay(std::string_view id, std::string_view url) = 0;
  // The relays seen at `since` or later, by id.
  virtual StoreTask<std::vector<RelayRecord>> relays_seen_since(UnixSeconds since) = 0;
  // Deletes relay `id`'s row (a clean shutdown). False when there was none.
  virtual StoreTask<bool> remove_relay(std::string_view id) = 0;
  // The secret every relay of this database shares (64 hex digits): made at random by the first call, the
  // same for every later one (of two first calls at once, one's is kept and both return it).
  virtual StoreTask<std::string> mesh_secret() = 0;

  // ---- the dashboard's accounts (accounts.h; store_accounts.cpp, pg_store_accounts.cpp) ----
  // A new user (email lowercased here; `password_hash` "" for none). nullopt when the email is taken.
  virtual StoreTask<std::optional<User>> add_user(std::string_view email, std::string_view password_hash,
                                                  bool is_operator) = 0;
  virtual StoreTask<std::optional<User>> user_by_email(std::string_view email) = 0;  // any case
  virtual StoreTask<std::optional<User>> user_by_id(std::string_view id) = 0;
  virtual StoreTask<std::vector<User>> list_users() = 0;  // by email
  // Removes the user with their memberships, sessions and sign-in links. False when unknown.
  virtual StoreTask<bool> remove_user(std::string_view id) = 0;

  // Adds the user to the cluster, or changes their role there. 404 when the cluster is unknown or revoked.
  virtual StoreTask<Ok> set_member(std::string_view cluster_id, std::string_view user_id, Role role) = 0;
  // False when the user was not a member.
  virtual StoreTask<bool> remove_member(std::string_view cluster_id, std::string_view user_id) = 0;
  virtual StoreTask<std::vector<Membership>> members_of(std::string_view cluster_id) = 0;   // by email
  virtual StoreTask<std::vector<Membership>> memberships_of(std::string_view user_id) = 0;  // by cluster id

  // A new web session of the user: the cookie's value (32 random bytes, base64url), shown once.
  virtual StoreTask<std::string> create_web_session(std::string_view user_id) = 0;
  // The user of a live session (kSessionLifetime since it began, kSessionIdle since its last use), whose
  // last use moves to now (by kTouchEvery steps). nullopt for an unknown, ended or expired one.
  virtual StoreTask<std::optional<User>> session_user(std::string_view cookie) = 0;
  // False when there was no such session.
  virtual StoreTask<bool> end_web_session(std::string_view cookie) = 0;

  // A one-time sign-in link's token ("qs_…") for the user, valid until `expires_at`.
  virtual StoreTask<std::string> create_sign_in_link(std::string_view user_id, UnixSeconds expires_at) = 0;
  // Spends the token: its user id once; nullopt when unknown, used or expired.
  virtual StoreTask<std::optional<std::string>> redeem_sign_in_link(std::string_view token) = 0;

  // An invite to the cluster (404 when unknown or revoked); its token ("qi_…") shown once.
  virtual StoreTask<NewInvite> create_invite(std::string_view cluster_id, Role role, std::string_view email,
                                             std::string_view created_by, UnixSeconds expires_at) = 0;
  // The cluster's invites neither used, revoked nor expired; oldest first.
  virtual StoreTask<std::vector<Invite>> open_invites(std::string_view cluster_id) = 0;
  // False when the invite is not `cluster_id`'s, or not open.
  virtual StoreTask<bool> revoke_invite(std::string_view cluster_id, std::string_view id) = 0;
  // Spends the token: the invite once; nullopt when unknown, used, revoked or expired.
  virtual StoreTask<std::optional<Invite>> redeem_invite(std::string_view token) = 0;

  // Appends to the cluster's audit log (id and time set here); the entry as stored.
  virtual StoreTask<AuditEntry> add_audit(const AuditEntry& entry) = 0;
  // The cluster's newest `limit` entries, newest first.
  virtual StoreTask<std::vector<AuditEntry>> audit_of(std::string_view cluster_id, int64_t limit) = 0;

  // The number of schema migrations applied (for tests and diagnostics).
  virtual StoreTask<int> schema_version() = 0;
};

// True for "postgres://…" and "postgresql://…" (libpq's URIs).
bool is_postgres_url(std::string_view database);
// The URL with its password (and a `password=` parameter) replaced by "***": what logs and errors show.
std::string redacted_database(std::string_view database);

// Opens the store that `database` names, on `executor`: a PostgreSQL URL (is_postgres_url), or "" for SQLite
// in `data_dir` (<data_dir>/relay.db, the directory made 0700 when missing). Either is migrated to the
// latest schema; a database newer than this program is refused (500). An unreachable PostgreSQL is a 503.
boost::asio::awaitable<Result<std::unique_ptr<Store>>> open_store(std::string database, std::string data_dir,
                                                                  boost::asio::any_io_executor executor,
                                                                  Clock clock = unix_now);

}  // namespace quorum::relay
