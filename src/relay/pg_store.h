// The Store (store.h) in PostgreSQL, for relays that outgrow one machine and one SQLite file: the same
// schema (pg_schema.h) and behaviour, asynchronous on the relay's event loop through a small pool of libpq
// connections (pg.h). Transactions where the SQLite store has them (revoking a cluster, a usage batch,
// enrolling a node, a session's start and end, a new key); a token is redeemed by one conditional UPDATE, so
// of two redemptions at once one wins. Text is ordered byte-wise (COLLATE "C"), as SQLite orders it.
//
// When the server is down or a connection is lost, calls fail with 503 and the next call opens a new
// connection; the relay keeps running.
#pragma once

#include <memory>
#include <string>

#include "relay/pg.h"
#include "relay/store.h"

namespace quorum::relay {

class PgStore final : public Store {
 public:
  // Connections in the pool: a relay's store calls are short, and a few keep it busy.
  static constexpr size_t kPoolSize = 4;

  // Connects to `url` (libpq's URI), migrates the schema, and gives the store. 503 when the server cannot be
  // reached now.
  static StoreTask<std::unique_ptr<Store>> open(std::string url, boost::asio::any_io_executor executor,
                                                Clock clock = unix_now);

  std::string_view backend() const override { return "postgres"; }

  StoreTask<std::string> create_enrol_token(std::string_view note) override;
  StoreTask<bool> redeem_enrol_token(std::string_view text, std::string_view cluster_id) override;
  StoreTask<std::vector<EnrolToken>> list_enrol_tokens() override;
  StoreTask<bool> revoke_enrol_token(std::string_view id) override;

  StoreTask<bool> add_cluster(const Cluster& cluster) override;
  StoreTask<std::optional<Cluster>> cluster(std::string_view id) override;
  StoreTask<bool> revoke_cluster(std::string_view id) override;
  StoreTask<std::vector<Cluster>> list_clusters() override;

  StoreTask<EnrolResult> enrol_node(const Node& node) override;
  StoreTask<std::optional<Node>> node(std::string_view id) override;
  StoreTask<bool> revoke_node(std::string_view id) override;
  StoreTask<std::vector<Node>> nodes_of(std::string_view cluster_id) override;
  StoreTask<bool> touch_node(std::string_view id, UnixSeconds at) override;

  StoreTask<int64_t> session_opened(std::string_view node_id) override;
  StoreTask<bool> session_closed(int64_t session_id, std::string_view reason) override;
  StoreTask<int64_t> close_open_sessions(std::string_view reason) override;
  StoreTask<int64_t> prune_sessions(UnixSeconds before) override;

  StoreTask<std::string> create_key(std::string_view cluster_id, std::string_view name,
                                    const KeyLimits& limits, const std::vector<std::string>& models,
                                    std::optional<UnixSeconds> expires_at) override;
  StoreTask<std::optional<ApiKey>> find_key(std::string_view id) override;
  StoreTask<std::vector<ApiKey>> keys_of(std::string_view cluster_id) override;
  StoreTask<bool> revoke_key(std::string_view cluster_id, std::string_view id) override;
  StoreTask<std::vector<KeyHash>> key_hashes_of(std::string_view cluster_id) override;
  StoreTask<bool> touch_key(std::string_view id, UnixSeconds at) override;
  StoreTask<KeyCheck> check_key(std::string_view text) override;

  StoreTask<Ok> record_usage(std::span<const UsageRecord> records) override;
  StoreTask<std::vector<UsageRecord>> usage(std::string_view cluster_id, std::string_view from_day,
                                            std::string_view to_day) override;

  StoreTask<Ok> announce_relay(std::string_view id, std::string_view url) override;
  StoreTask<std::vector<RelayRecord>> relays_seen_since(UnixSeconds since) override;
  StoreTask<bool> remove_relay(std::string_view id) override;
  StoreTask<std::string> mesh_secret() override;

  StoreTask<std::optional<User>> add_user(std::string_view email, std::string_view password_hash,
                                          bool is_operator) override;
  StoreTask<std::optional<User>> user_by_email(std::string_view email) override;
  StoreTask<std::optional<User>> user_by_id(std::string_view id) override;
  StoreTask<std::vector<User>> list_users() override;
  StoreTask<bool> remove_user(std::string_view id) override;
  StoreTask<Ok> set_member(std::string_view cluster_id, std::string_view user_id, Role role) override;
  StoreTask<bool> remove_member(std::string_view cluster_id, std::string_view user_id) override;
  StoreTask<std::vector<Membership>> members_of(std::string_view cluster_id) override;
  StoreTask<std::vector<Membership>> memberships_of(std::string_view user_id) override;
  StoreTask<std::string> create_web_session(std::string_view user_id) override;
  StoreTask<std::optional<User>> session_user(std::string_view cookie) override;
  StoreTask<bool> end_web_session(std::string_view cookie) override;
  StoreTask<std::string> create_sign_in_link(std::string_view user_id, UnixSeconds expires_at) override;
  StoreTask<std::optional<std::string>> redeem_sign_in_link(std::string_view token) override;
  StoreTask<NewInvite> create_invite(std::string_view cluster_id, Role role, std::string_view email,
                                     std::string_view created_by, UnixSeconds expires_at) override;
  StoreTask<std::vector<Invite>> open_invites(std::string_view cluster_id) override;
  StoreTask<bool> revoke_invite(std::string_view cluster_id, std::string_view id) override;
  StoreTask<std::optional<Invite>> redeem_invite(std::string_view token) override;
  StoreTask<AuditEntry> add_audit(const AuditEntry& entry) override;
  StoreTask<std::vector<AuditEntry>> audit_of(std::string_view cluster_id, int64_t limit) override;

  StoreTask<int> schema_version() override;

 private:
  PgStore(std::unique_ptr<pg::Pool> pool, Clock clock) : pool_(std::move(pool)), clock_(std::move(clock)) {}

  std::unique_ptr<pg::Pool> pool_;
  Clock clock_;
};

}  // namespace quorum::relay
