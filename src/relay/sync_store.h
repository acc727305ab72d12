// A Store (store.h) for code without an event loop: `quorum-relay`'s commands, `quorum-relay migrate` and the
// tests. It owns an io_context and runs each call on it to completion, so the PostgreSQL store works here as
// in the relay (its sockets wait on this loop). Not for the relay's own loop: it would block it.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "relay/store.h"

namespace quorum::relay {

// An io_context that runs one awaitable at a time to completion (thread-safe: calls take turns).
class SyncLoop {
 public:
  SyncLoop() : ctx_(std::make_unique<boost::asio::io_context>(1)) {}

  // Runs `task` on the loop until it completes.
  template <class T>
  Result<T> run(boost::asio::awaitable<Result<T>> task) {
    std::lock_guard lock(mutex_);  // calls from several threads take turns
    std::optional<Result<T>> out;
    boost::asio::co_spawn(
        *ctx_, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(task)); },
        [](const std::exception_ptr& e) {
          if (e) std::rethrow_exception(e);
        });
    ctx_->restart();
    ctx_->run();
    if (!out) return ApiError::server(500, "relay database: the call did not complete", "database_error");
    return std::move(*out);
  }

  boost::asio::any_io_executor executor() { return ctx_->get_executor(); }

 private:
  std::mutex mutex_;
  std::unique_ptr<boost::asio::io_context> ctx_;
};

class SyncStore {
 public:
  // open_store() on a loop of its own.
  static Result<std::unique_ptr<SyncStore>> open(const std::string& database, const std::string& data_dir,
                                                 Clock clock = unix_now) {
    auto self = std::unique_ptr<SyncStore>(new SyncStore());
    auto store = self->run(open_store(database, data_dir, self->loop_.executor(), std::move(clock)));
    if (!store) return store.take_error();
    self->store_ = std::move(*store);
    return self;
  }

  template <class T>
  Result<T> run(boost::asio::awaitable<Result<T>> task) {
    return loop_.run(std::move(task));
  }

  Store& async() { return *store_; }
  boost::asio::any_io_executor executor() { return loop_.executor(); }

  // The calls of store.h, each run to completion.
  Result<std::string> create_enrol_token(std::string_view note) {
    return run(store_->create_enrol_token(note));
  }
  Result<bool> redeem_enrol_token(std::string_view text, std::string_view cluster_id) {
    return run(store_->redeem_enrol_token(text, cluster_id));
  }
  Result<std::vector<EnrolToken>> list_enrol_tokens() { return run(store_->list_enrol_tokens()); }
  Result<bool> revoke_enrol_token(std::string_view id) { return run(store_->revoke_enrol_token(id)); }
  Result<bool> add_cluster(const Cluster& cluster) { return run(store_->add_cluster(cluster)); }
  Result<std::optional<Cluster>> cluster(std::string_view id) { return run(store_->cluster(id)); }
  Result<bool> revoke_cluster(std::string_view id) { return run(store_->revoke_cluster(id)); }
  Result<std::vector<Cluster>> list_clusters() { return run(store_->list_clusters()); }
  Result<EnrolResult> enrol_node(const Node& node) { return run(store_->enrol_node(node)); }
  Result<std::optional<Node>> node(std::string_view id) { return run(store_->node(id)); }
  Result<bool> revoke_node(std::string_view id) { return run(store_->revoke_node(id)); }
  Result<std::vector<Node>> nodes_of(std::string_view cluster_id) {
    return run(store_->nodes_of(cluster_id));
  }
  Result<bool> touch_node(std::string_view id, UnixSeconds at) { return run(store_->touch_node(id, at)); }
  Result<int64_t> session_opened(std::string_view node_id) { return run(store_->session_opened(node_id)); }
  Result<bool> session_closed(int64_t session_id, std::string_view reason) {
    return run(store_->session_closed(session_id, reason));
  }
  Result<int64_t> close_open_sessions(std::string_view reason) {
    return run(store_->close_open_sessions(reason));
  }
  Result<int64_t> prune_sessions(UnixSeconds before) { return run(store_->prune_sessions(before)); }
  Result<std::string> create_key(std::string_view cluster_id, std::string_view name, const KeyLimits& limits,
                                 const std::vector<std::string>& models = {},
                                 std::optional<UnixSeconds> expires_at = std::nullopt) {
    return run(store_->create_key(cluster_id, name, limits, models, expires_at));
  }
  Result<std::optional<ApiKey>> find_key(std::string_view id) { return run(store_->find_key(id)); }
  Result<std::vector<ApiKey>> keys_of(std::string_view cluster_id) {
    return run(store_->keys_of(cluster_id));
  }
  Result<bool> revoke_key(std::string_view cluster_id, std::string_view id) {
    return run(store_->revoke_key(cluster_id, id));
  }
  Result<std::vector<KeyHash>> key_hashes_of(std::string_view cluster_id) {
    return run(store_->key_hashes_of(cluster_id));
  }
  Result<bool> touch_key(std::string_view id, UnixSeconds at) { return run(store_->touch_key(id, at)); }
  Result<KeyCheck> check_key(std::string_view text) { return run(store_->check_key(text)); }
  Status record_usage(const UsageRecord& record) {
    return run(store_->record_usage(std::span<const UsageRecord>(&record, 1)));
  }
  Status record_usage(std::span<const UsageRecord> records) { return run(store_->record_usage(records)); }
  Result<std::vector<UsageRecord>> usage(std::string_view cluster_id, std::string_view from_day,
                                         std::string_view to_day) {
    return run(store_->usage(cluster_id, from_day, to_day));
  }
  Status announce_relay(std::string_view id, std::string_view url) {
    return run(store_->announce_relay(id, url));
  }
  Result<std::vector<RelayRecord>> relays_seen_since(UnixSeconds since) {
    return run(store_->relays_seen_since(since));
  }
  Result<bool> remove_relay(std::string_view id) { return run(store_->remove_relay(id)); }
  Result<std::string> mesh_secret() { return run(store_->mesh_secret()); }

  Result<std::optional<User>> add_user(std::string_view email, std::string_view password_hash = {},
                                       bool is_operator = false) {
    return run(store_->add_user(email, password_hash, is_operator));
  }
  Result<std::optional<User>> user_by_email(std::string_view email) {
    return run(store_->user_by_email(email));
  }
  Result<std::optional<User>> user_by_id(std::string_view id) { return run(store_->user_by_id(id)); }
  Result<std::vector<User>> list_users() { return run(store_->list_users()); }
  Result<bool> remove_user(std::string_view id) { return run(store_->remove_user(id)); }
  Status set_member(std::string_view cluster_id, std::string_view user_id, Role role) {
    return run(store_->set_member(cluster_id, user_id, role));
  }
  Result<bool> remove_member(std::string_view cluster_id, std::string_view user_id) {
    return run(store_->remove_member(cluster_id, user_id));
  }
  Result<std::vector<Membership>> members_of(std::string_view cluster_id) {
    return run(store_->members_of(cluster_id));
  }
  Result<std::vector<Membership>> memberships_of(std::string_view user_id) {
    return run(store_->memberships_of(user_id));
  }
  Result<std::string> create_web_session(std::string_view user_id) {
    return run(store_->create_web_session(user_id));
  }
  Result<std::optional<User>> session_user(std::string_view cookie) {
    return run(store_->session_user(cookie));
  }
  Result<bool> end_web_session(std::string_view cookie) { return run(store_->end_web_session(cookie)); }
  Result<std::string> create_sign_in_link(std::string_view user_id, UnixSeconds expires_at) {
    return run(store_->create_sign_in_link(user_id, expires_at));
  }
  Result<std::optional<std::string>> redeem_sign_in_link(std::string_view token) {
    return run(store_->redeem_sign_in_link(token));
  }
  Result<NewInvite> create_invite(std::string_view cluster_id, Role role, std::string_view email,
                                  std::string_view created_by, UnixSeconds expires_at) {
    return run(store_->create_invite(cluster_id, role, email, created_by, expires_at));
  }
  Result<std::vector<Invite>> open_invites(std::string_view cluster_id) {
    return run(store_->open_invites(cluster_id));
  }
  Result<bool> revoke_invite(std::string_view cluster_id, std::string_view id) {
    return run(store_->revoke_invite(cluster_id, id));
  }
  Result<std::optional<Invite>> redeem_invite(std::string_view token) {
    return run(store_->redeem_invite(token));
  }
  Result<AuditEntry> add_audit(const AuditEntry& entry) { return run(store_->add_audit(entry)); }
  Result<std::vector<AuditEntry>> audit_of(std::string_view cluster_id, int64_t limit) {
    return run(store_->audit_of(cluster_id, limit));
  }
  Result<int> schema_version() { return run(store_->schema_version()); }

 private:
  SyncStore() = default;

  SyncLoop loop_;  // declared first: it outlives the store's sockets
  std::unique_ptr<Store> store_;
};

}  // namespace quorum::relay
