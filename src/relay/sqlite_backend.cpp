// The asynchronous Store over SqliteStore: each call runs the synchronous one inline (a few statements on a
// local file) and completes at once; and open_store(), which picks the database a relay uses.
#include <boost/asio/use_awaitable.hpp>

#include "relay/pg_store.h"
#include "relay/sqlite_store.h"
#include "relay/store.h"

namespace quorum::relay {

namespace {

class SqliteBackend final : public Store {
 public:
  explicit SqliteBackend(std::unique_ptr<SqliteStore> db) : db_(std::move(db)) {}

  std::string_view backend() const override { return "sqlite"; }

  StoreTask<std::string> create_enrol_token(std::string_view note) override {
    co_return db_->create_enrol_token(note);
  }
  StoreTask<bool> redeem_enrol_token(std::string_view text, std::string_view cluster_id) override {
    co_return db_->redeem_enrol_token(text, cluster_id);
  }
  StoreTask<std::vector<EnrolToken>> list_enrol_tokens() override { co_return db_->list_enrol_tokens(); }
  StoreTask<bool> revoke_enrol_token(std::string_view id) override { co_return db_->revoke_enrol_token(id); }

  StoreTask<bool> add_cluster(const Cluster& cluster) override { co_return db_->add_cluster(cluster); }
  StoreTask<std::optional<Cluster>> cluster(std::string_view id) override { co_return db_->cluster(id); }
  StoreTask<bool> revoke_cluster(std::string_view id) override { co_return db_->revoke_cluster(id); }
  StoreTask<std::vector<Cluster>> list_clusters() override { co_return db_->list_clusters(); }

  StoreTask<EnrolResult> enrol_node(const Node& node) override { co_return db_->enrol_node(node); }
  StoreTask<std::optional<Node>> node(std::string_view id) override { co_return db_->node(id); }
  StoreTask<bool> revoke_node(std::string_view id) override { co_return db_->revoke_node(id); }
  StoreTask<std::vector<Node>> nodes_of(std::string_view cluster_id) override {
    co_return db_->nodes_of(cluster_id);
  }
  StoreTask<bool> touch_node(std::string_view id, UnixSeconds at) override {
    co_return db_->touch_node(id, at);
  }

  StoreTask<int64_t> session_opened(std::string_view node_id) override {
    co_return db_->session_opened(node_id);
  }
  StoreTask<bool> session_closed(int64_t session_id, std::string_view reason) override {
    co_return db_->session_closed(session_id, reason);
  }
  StoreTask<int64_t> close_open_sessions(std::string_view reason) override {
    co_return db_->close_open_sessions(reason);
  }
  StoreTask<int64_t> prune_sessions(UnixSeconds before) override { co_return db_->prune_sessions(before); }

  StoreTask<std::string> create_key(std::string_view cluster_id, std::string_view name,
                                    const KeyLimits& limits, const std::vector<std::string>& models,
                                    std::optional<UnixSeconds> expires_at) override {
    co_return db_->create_key(cluster_id, name, limits, models, expires_at);
  }
  StoreTask<std::optional<ApiKey>> find_key(std::string_view id) override { co_return db_->find_key(id); }
  StoreTask<std::vector<ApiKey>> keys_of(std::string_view cluster_id) override {
    co_return db_->keys_of(cluster_id);
  }
  StoreTask<bool> revoke_key(std::string_view cluster_id, std::string_view id) override {
    co_return db_->revoke_key(cluster_id, id);
  }
  StoreTask<std::vector<KeyHash>> key_hashes_of(std::string_view cluster_id) override {
    co_return db_->key_hashes_of(cluster_id);
  }
  StoreTask<bool> touch_key(std::string_view id, UnixSeconds at) override {
    co_return db_->touch_key(id, at);
  }
  StoreTask<KeyCheck> check_key(std::string_view text) override { co_return db_->check_key(text); }

  StoreTask<Ok> record_usage(std::span<const UsageRecord> records) override {
    co_return db_->record_usage(records);
  }
  StoreTask<std::vector<UsageRecord>> usage(std::string_view cluster_id, std::string_view from_day,
                                            std::string_view to_day) override {
    co_return db_->usage(cluster_id, from_day, to_day);
  }

  StoreTask<Ok> announce_relay(std::string_view id, std::string_view url) override {
    co_return db_->announce_relay(id, url);
  }
  StoreTask<std::vector<RelayRecord>> relays_seen_since(UnixSeconds since) override {
    co_return db_->relays_seen_since(since);
  }
  StoreTask<bool> remove_relay(std::string_view id) override { co_return db_->remove_relay(id); }
  StoreTask<std::string> mesh_secret() override { co_return db_->mesh_secret(); }

  StoreTask<std::optional<User>> add_user(std::string_view email, std::string_view password_hash,
                                          bool is_operator) override {
    co_return db_->add_user(email, password_hash, is_operator);
  }
  StoreTask<std::optional<User>> user_by_email(std::string_view email) override {
    co_return db_->user_by_email(email);
  }
  StoreTask<std::optional<User>> user_by_id(std::string_view id) override { co_return db_->user_by_id(id); }
  StoreTask<std::vector<User>> list_users() override { co_return db_->list_users(); }
  StoreTask<bool> remove_user(std::string_view id) override { co_return db_->remove_user(id); }
  StoreTask<Ok> set_member(std::string_view cluster_id, std::string_view user_id, Role role) override {
    co_return db_->set_member(cluster_id, user_id, role);
  }
  StoreTask<bool> remove_member(std::string_view cluster_id, std::string_view user_id) override {
    co_return db_->remove_member(cluster_id, user_id);
  }
  StoreTask<std::vector<Membership>> members_of(std::string_view cluster_id) override {
    co_return db_->members_of(cluster_id);
  }
  StoreTask<std::vector<Membership>> memberships_of(std::string_view user_id) override {
    co_return db_->memberships_of(user_id);
  }
  StoreTask<std::string> create_web_session(std::string_view user_id) override {
    co_return db_->create_web_session(user_id);
  }
  StoreTask<std::optional<User>> session_user(std::string_view cookie) override {
    co_return db_->session_user(cookie);
  }
  StoreTask<bool> end_web_session(std::string_view cookie) override {
    co_return db_->end_web_session(cookie);
  }
  StoreTask<std::string> create_sign_in_link(std::string_view user_id, UnixSeconds expires_at) override {
    co_return db_->create_sign_in_link(user_id, expires_at);
  }
  StoreTask<std::optional<std::string>> redeem_sign_in_link(std::string_view token) override {
    co_return db_->redeem_sign_in_link(token);
  }
  StoreTask<NewInvite> create_invite(std::string_view cluster_id, Role role, std::string_view email,
                                     std::string_view created_by, UnixSeconds expires_at) override {
    co_return db_->create_invite(cluster_id, role, email, created_by, expires_at);
  }
  StoreTask<std::vector<Invite>> open_invites(std::string_view cluster_id) override {
    co_return db_->open_invites(cluster_id);
  }
  StoreTask<bool> revoke_invite(std::string_view cluster_id, std::string_view id) override {
    co_return db_->revoke_invite(cluster_id, id);
  }
  StoreTask<std::optional<Invite>> redeem_invite(std::string_view token) override {
    co_return db_->redeem_invite(token);
  }
  StoreTask<AuditEntry> add_audit(const AuditEntry& entry) override { co_return db_->add_audit(entry); }
  StoreTask<std::vector<AuditEntry>> audit_of(std::string_view cluster_id, int64_t limit) override {
    co_return db_->audit_of(cluster_id, limit);
  }

  StoreTask<int> schema_version() override { co_return db_->schema_version(); }

 private:
  std::unique_ptr<SqliteStore> db_;
};

}  // namespace

bool is_postgres_url(std::string_view database) {
  return database.starts_with("postgres://") || database.starts_with("postgresql://");
}

std::string redacted_database(std::string_view database) {
  std::string out(database);
  // scheme://user:password@host…: the password ends at the last '@' before the path.
  if (const auto scheme = out.find("://"); scheme != std::string::npos) {
    const auto authority_end = out.find_first_of("/?", scheme + 3);
    const auto at = out.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end);
    if (at != std::string::npos && at > scheme) {
      const auto colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // …?password=secret&…
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    const size_t value = p + 9;
    const size_t end = out.find('&', value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

boost::asio::awaitable<Result<std::unique_ptr<Store>>> open_store(std::string database, std::string data_dir,
                                                                  boost::asio::any_io_executor executor,
                                                                  Clock clock) {
  if (is_postgres_url(database)) co_return co_await PgStore::open(database, executor, std::move(clock));
  if (!database.empty()) {
    co_return ApiError::server(
        500,
        "relay database: " + redacted_database(database) +
            " is not a postgres:// URL (leave it out for SQLite in the data directory)",
        "database_error");
  }
  auto db = SqliteStore::open(data_dir, std::move(clock));
  if (!db) co_return db.take_error();
  co_return std::unique_ptr<Store>(std::make_unique<SqliteBackend>(std::move(*db)));
}

}  // namespace quorum::relay
