// The SQLite store's nodes and their sessions (sqlite_store.h).
#include "relay/sqlite.h"
#include "relay/sqlite_store.h"
#include "relay/store_checks.h"
#include "relay/store_rows.h"

namespace quorum::relay {

namespace checks = store_checks;

namespace {

struct Standing {
  std::string cluster_id;
  bool revoked = false;
};

}  // namespace

Result<EnrolResult> SqliteStore::enrol_node(const Node& node) {
  if (auto ok = checks::all({checks::text("node id", node.id), checks::text("cluster id", node.cluster_id),
                             checks::text("node name", node.name),
                             checks::public_key("public_key", node.public_key)});
      !ok) {
    return ok.take_error();
  }
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(*db_);
  if (auto begun = tx.begin(); !begun) return begun.take_error();
  auto cluster_live = sqlite::first_row<int64_t>(
      *db_, "SELECT 1 FROM clusters WHERE id = ?1 AND revoked_at IS NULL",
      [](const sqlite::Statement& st) { return st.integer(0); }, node.cluster_id);
  if (!cluster_live) return cluster_live.take_error();
  if (!*cluster_live) return EnrolResult::no_cluster;
  auto standing = sqlite::first_row<Standing>(
      *db_, "SELECT cluster_id, revoked_at IS NOT NULL FROM nodes WHERE id = ?1",
      [](const sqlite::Statement& st) {
        return Standing{st.text(0), st.integer(1) != 0};
      },
      node.id);
  if (!standing) return standing.take_error();
  if (*standing && (*standing)->revoked) return EnrolResult::node_revoked;
  if (*standing && (*standing)->cluster_id != node.cluster_id) return EnrolResult::other_cluster;
  auto enrolled = sqlite::run(*db_,
                              "INSERT INTO nodes (id, cluster_id, name, public_key, enrolled_at) "
                              "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET "
                              "name = excluded.name, public_key = excluded.public_key, "
                              "enrolled_at = excluded.enrolled_at",
                              node.id, node.cluster_id, node.name, sqlite::Blob{node.public_key}, clock_());
  if (!enrolled) return enrolled.take_error();
  if (auto committed = tx.commit(); !committed) return committed.take_error();
  return EnrolResult::enrolled;
}

Result<std::optional<Node>> SqliteStore::node(std::string_view id) {
  std::lock_guard lock(mutex_);
  return sqlite::first_row<Node>(*db_,
                                 "SELECT id, cluster_id, name, public_key, enrolled_at, revoked_at, "
                                 "last_seen_at FROM nodes WHERE id = ?1",
                                 store_rows::node<sqlite::Statement>, id);
}

Result<bool> SqliteStore::revoke_node(std::string_view id) {
  std::lock_guard lock(mutex_);
  return sqlite::changed_one(*db_, "UPDATE nodes SET revoked_at = coalesce(revoked_at, ?1) WHERE id = ?2",
                             clock_(), id);
}

Result<std::vector<Node>> SqliteStore::nodes_of(std::string_view cluster_id) {
  std::lock_guard lock(mutex_);
  return sqlite::rows<Node>(
      *db_,
      "SELECT id, cluster_id, name, public_key, enrolled_at, revoked_at, last_seen_at FROM nodes "
      "WHERE cluster_id = ?1 ORDER BY name, id",
      store_rows::node<sqlite::Statement>, cluster_id);
}

Result<bool> SqliteStore::touch_node(std::string_view id, UnixSeconds at) {
  std::lock_guard lock(mutex_);
  return touch(
      "UPDATE nodes SET last_seen_at = ?1 WHERE id = ?2 AND "
      "(last_seen_at IS NULL OR last_seen_at <= ?1 - ?3)",
      "SELECT 1 FROM nodes WHERE id = ?1", id, at);
}

Result<int64_t> SqliteStore::session_opened(std::string_view node_id) {
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(*db_);
  if (auto begun = tx.begin(); !begun) return begun.take_error();
  const UnixSeconds now = clock_();
  auto seen = sqlite::changed_one(*db_, "UPDATE nodes SET last_seen_at = ?1 WHERE id = ?2", now, node_id);
  if (!seen) return seen.take_error();
  if (!*seen) return ApiError::not_found("no node " + std::string(node_id), "node_id");
  auto opened =
      sqlite::run(*db_, "INSERT INTO node_sessions (node_id, connected_at) VALUES (?1, ?2)", node_id, now);
  if (!opened) return opened.take_error();
  const int64_t id = db_->last_insert_rowid();
  if (auto committed = tx.commit(); !committed) return committed.take_error();
  return id;
}

Result<bool> SqliteStore::session_closed(int64_t session_id, std::string_view reason) {
  if (auto ok = checks::text("reason", reason); !ok) return ok.take_error();
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(*db_);
  if (auto begun = tx.begin(); !begun) return begun.take_error();
  const UnixSeconds now = clock_();
  auto closed = sqlite::changed_one(*db_,
                                    "UPDATE node_sessions SET disconnected_at = ?1, reason = ?2 "
                                    "WHERE id = ?3 AND disconnected_at IS NULL",
                                    now, reason, session_id);
  if (!closed) return closed.take_error();
  if (!*closed) return false;
  auto seen = sqlite::run(
      *db_, "UPDATE nodes SET last_seen_at = ?1 WHERE id = (SELECT node_id FROM node_sessions WHERE id = ?2)",
      now, session_id);
  if (!seen) return seen.take_error();
  if (auto committed = tx.commit(); !committed) return committed.take_error();
  return true;
}

Result<int64_t> SqliteStore::close_open_sessions(std::string_view reason) {
  if (auto ok = checks::text("reason", reason); !ok) return ok.take_error();
  std::lock_guard lock(mutex_);
  return sqlite::changes(
      *db_, "UPDATE node_sessions SET disconnected_at = ?1, reason = ?2 WHERE disconnected_at IS NULL",
      clock_(), reason);
}

Result<int64_t> SqliteStore::prune_sessions(UnixSeconds before) {
  std::lock_guard lock(mutex_);
  return sqlite::changes(*db_, "DELETE FROM node_sessions WHERE disconnected_at < ?1", before);
}

}  // namespace quorum::relay
