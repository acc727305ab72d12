// The PostgreSQL store's opening, enrolment tokens, clusters, nodes and sessions (pg_store.h). Keys and usage
// are in pg_store_keys.cpp. The statements are the SQLite store's (store*.cpp) in PostgreSQL's dialect.
#include "relay/pg_store.h"

#include "auth/api_key.h"
#include "relay/pg_schema.h"
#include "relay/pg_store_support.h"
#include "relay/store_checks.h"
#include "relay/store_rows.h"

namespace quorum::relay {

namespace checks = store_checks;
using pg_support::changed_one;
using pg_support::params;
using pg_support::transaction;

StoreTask<std::unique_ptr<Store>> PgStore::open(std::string url, boost::asio::any_io_executor executor,
                                                Clock clock) {
  auto pool = std::make_unique<pg::Pool>(executor, url, kPoolSize);
  if (auto migrated = co_await pg_schema::migrate(*pool); !migrated) co_return migrated.take_error();
  co_return std::unique_ptr<Store>(new PgStore(std::move(pool), clock ? std::move(clock) : Clock(unix_now)));
}

StoreTask<int> PgStore::schema_version() {
  co_return co_await pg_schema::version(*pool_);
}

// ---- enrolment tokens ----

StoreTask<std::string> PgStore::create_enrol_token(std::string_view note) {
  if (auto ok = checks::text("note", note, true); !ok) co_return ok.take_error();
  auto token = api_key::generate(api_key::Kind::enrol_token);
  auto added = co_await pool_->query(
      "INSERT INTO enrol_tokens (id, secret_hash, note, created_at) VALUES ($1, $2, $3, $4)",
      params(token.id, token.secret_hash, note, clock_()));
  if (!added) co_return added.take_error();
  co_return std::move(token.text);
}

StoreTask<bool> PgStore::redeem_enrol_token(std::string_view text, std::string_view cluster_id) {
  if (auto ok = checks::text("cluster id", cluster_id); !ok) co_return ok.take_error();
  auto parsed = api_key::parse(text, api_key::Kind::enrol_token);
  if (!parsed) co_return false;
  auto hash = co_await pool_->query(
      "SELECT secret_hash FROM enrol_tokens WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL",
      params(parsed->id));
  if (!hash) co_return hash.take_error();
  if (hash->rows.empty() || !api_key::matches(parsed->secret, hash->rows[0].text(0))) co_return false;
  // The conditions again, in the UPDATE itself: of two redemptions at once, one changes the row.
  co_return co_await changed_one(*pool_,
                                 "UPDATE enrol_tokens SET used_at = $1, cluster_id = $2 "
                                 "WHERE id = $3 AND used_at IS NULL AND revoked_at IS NULL",
                                 params(clock_(), cluster_id, parsed->id));
}

StoreTask<std::vector<EnrolToken>> PgStore::list_enrol_tokens() {
  co_return co_await pg_support::rows<EnrolToken>(
      *pool_,
      "SELECT id, note, created_at, used_at, coalesce(cluster_id, ''), revoked_at FROM enrol_tokens "
      "ORDER BY created_at, id COLLATE \"C\"",
      {}, store_rows::token<pg::Row>);
}

StoreTask<bool> PgStore::revoke_enrol_token(std::string_view id) {
  co_return co_await changed_one(
      *pool_, "UPDATE enrol_tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2",
      params(clock_(), id));
}

// ---- clusters ----

StoreTask<bool> PgStore::add_cluster(const Cluster& cluster) {
  if (auto ok =
          checks::all({checks::text("cluster id", cluster.id), checks::text("cluster name", cluster.name),
                       checks::public_key("enrol_public_key", cluster.enrol_public_key)});
      !ok) {
    co_return ok.take_error();
  }
  // Arguments named before co_await: g++ 12 destroys a temporary of the awaited expression twice.
  auto args = params(cluster.id, cluster.name, pg::Bytes{cluster.enrol_public_key}, clock_());
  co_return co_await changed_one(*pool_,
                                 "INSERT INTO clusters (id, name, enrol_public_key, created_at) "
                                 "VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                                 std::move(args));
}

StoreTask<std::optional<Cluster>> PgStore::cluster(std::string_view id) {
  co_return co_await pg_support::first_row<Cluster>(
      *pool_, "SELECT id, name, enrol_public_key, created_at, revoked_at FROM clusters WHERE id = $1",
      params(id), store_rows::cluster<pg::Row>);
}

StoreTask<bool> PgStore::revoke_cluster(std::string_view id) {
  const UnixSeconds now = clock_();
  co_return co_await transaction<bool>(*pool_, [&](pg::Lease& c) -> pg::Task<Result<bool>> {
    auto revoked = co_await c->query(
        "UPDATE clusters SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2", params(now, id));
    if (!revoked) co_return revoked.take_error();
    if (revoked->affected != 1) co_return false;
    auto nodes = co_await c->query(
        "UPDATE nodes SET revoked_at = $1 WHERE cluster_id = $2 AND revoked_at IS NULL", params(now, id));
    if (!nodes) co_return nodes.take_error();
    auto keys = co_await c->query(
        "UPDATE api_keys SET revoked_at = $1 WHERE cluster_id = $2 AND revoked_at IS NULL", params(now, id));
    if (!keys) co_return keys.take_error();
    co_return true;
  });
}

StoreTask<std::vector<Cluster>> PgStore::list_clusters() {
  co_return co_await pg_support::rows<Cluster>(*pool_,
                                               "SELECT id, name, enrol_public_key, created_at, revoked_at "
                                               "FROM clusters ORDER BY created_at, id COLLATE "
                                               "\"C\"",
                                               {}, store_rows::cluster<pg::Row>);
}

// ---- nodes ----

StoreTask<EnrolResult> PgStore::enrol_node(const Node& node) {
  if (auto ok = checks::all({checks::text("node id", node.id), checks::text("cluster id", node.cluster_id),
                             checks::text("node name", node.name),
                             checks::public_key("public_key", node.public_key)});
      !ok) {
    co_return ok.take_error();
  }
  const UnixSeconds now = clock_();
  co_return co_await transaction<EnrolResult>(*pool_, [&](pg::Lease& c) -> pg::Task<Result<EnrolResult>> {
    auto live = co_await c->query("SELECT 1 FROM clusters WHERE id = $1 AND revoked_at IS NULL FOR SHARE",
                                  params(node.cluster_id));
    if (!live) co_return live.take_error();
    if (live->rows.empty()) co_return EnrolResult::no_cluster;
    auto standing = co_await c->query(
        "SELECT cluster_id, revoked_at IS NOT NULL FROM nodes WHERE id = $1 FOR UPDATE", params(node.id));
    if (!standing) co_return standing.take_error();
    if (!standing->rows.empty()) {
      if (standing->rows[0].boolean(1)) co_return EnrolResult::node_revoked;
      if (standing->rows[0].text(0) != node.cluster_id) co_return EnrolResult::other_cluster;
    }
    auto args = params(node.id, node.cluster_id, node.name, pg::Bytes{node.public_key}, now);
    auto enrolled = co_await c->query(
        "INSERT INTO nodes (id, cluster_id, name, public_key, enrolled_at) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, public_key = EXCLUDED.public_key, "
        "enrolled_at = EXCLUDED.enrolled_at",
        std::move(args));
    if (!enrolled) co_return enrolled.take_error();
    co_return EnrolResult::enrolled;
  });
}

StoreTask<std::optional<Node>> PgStore::node(std::string_view id) {
  co_return co_await pg_support::first_row<Node>(*pool_,
                                                 "SELECT id, cluster_id, name, public_key, enrolled_at, "
                                                 "revoked_at, last_seen_at FROM nodes WHERE id = $1",
                                                 params(id), store_rows::node<pg::Row>);
}

StoreTask<bool> PgStore::revoke_node(std::string_view id) {
  co_return co_await changed_one(
      *pool_, "UPDATE nodes SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2", params(clock_(), id));
}

StoreTask<std::vector<Node>> PgStore::nodes_of(std::string_view cluster_id) {
  co_return co_await pg_support::rows<Node>(
      *pool_,
      "SELECT id, cluster_id, name, public_key, enrolled_at, revoked_at, last_seen_at FROM nodes "
      "WHERE cluster_id = $1 ORDER BY name COLLATE \"C\", id COLLATE \"C\"",
      params(cluster_id), store_rows::node<pg::Row>);
}

StoreTask<bool> PgStore::touch_node(std::string_view id, UnixSeconds at) {
  co_return co_await pg_support::touch(*pool_,
                                       "UPDATE nodes SET last_seen_at = $1 WHERE id = $2 AND "
                                       "(last_seen_at IS NULL OR last_seen_at <= $1::bigint - $3::bigint)",
                                       "SELECT 1 FROM nodes WHERE id = $1", id, at);
}

// ---- sessions ----

StoreTask<int64_t> PgStore::session_opened(std::string_view node_id) {
  const UnixSeconds now = clock_();
  co_return co_await transaction<int64_t>(*pool_, [&](pg::Lease& c) -> pg::Task<Result<int64_t>> {
    auto seen = co_await c->query("UPDATE nodes SET last_seen_at = $1 WHERE id = $2", params(now, node_id));
    if (!seen) co_return seen.take_error();
    if (seen->affected != 1) co_return ApiError::not_found("no node " + std::string(node_id), "node_id");
    auto opened =
        co_await c->query("INSERT INTO node_sessions (node_id, connected_at) VALUES ($1, $2) RETURNING id",
                          params(node_id, now));
    if (!opened) co_return opened.take_error();
    co_return opened->rows.empty() ? int64_t{0} : opened->rows[0].integer(0);
  });
}

StoreTask<bool> PgStore::session_closed(int64_t session_id, std::string_view reason) {
  if (auto ok = checks::text("reason", reason); !ok) co_return ok.take_error();
  const UnixSeconds now = clock_();
  co_return co_await transaction<bool>(*pool_, [&](pg::Lease& c) -> pg::Task<Result<bool>> {
    auto closed = co_await c->query(
        "UPDATE node_sessions SET disconnected_at = $1, reason = $2 WHERE id = $3 AND disconnected_at IS "
        "NULL",
        params(now, reason, session_id));
    if (!closed) co_return closed.take_error();
    if (closed->affected != 1) co_return false;
    auto seen = co_await c->query(
        "UPDATE nodes SET last_seen_at = $1 WHERE id = (SELECT node_id FROM node_sessions WHERE id = $2)",
        params(now, session_id));
    if (!seen) co_return seen.take_error();
    co_return true;
  });
}

StoreTask<int64_t> PgStore::close_open_sessions(std::string_view reason) {
  if (auto ok = checks::text("reason", reason); !ok) co_return ok.take_error();
  auto closed = co_await pool_->query(
      "UPDATE node_sessions SET disconnected_at = $1, reason = $2 WHERE disconnected_at IS NULL",
      params(clock_(), reason));
  if (!closed) co_return closed.take_error();
  co_return closed->affected;
}

StoreTask<int64_t> PgStore::prune_sessions(UnixSeconds before) {
  auto pruned = co_await pool_->query("DELETE FROM node_sessions WHERE disconnected_at < $1", params(before));
  if (!pruned) co_return pruned.take_error();
  co_return pruned->affected;
}

}  // namespace quorum::relay
