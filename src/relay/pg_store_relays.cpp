// The PostgreSQL store's relay registry and mesh secret (pg_store.h), as the SQLite store's
// (store_relays.cpp).
#include "cluster/crypto.h"
#include "relay/pg_store.h"
#include "relay/pg_store_support.h"
#include "relay/store_checks.h"

namespace quorum::relay {

namespace checks = store_checks;
using pg_support::params;

StoreTask<Ok> PgStore::announce_relay(std::string_view id, std::string_view url) {
  if (auto ok = checks::all({checks::text("relay id", id), checks::text("relay url", url)}); !ok) {
    co_return ok.take_error();
  }
  const UnixSeconds now = clock_();
  auto done = co_await pool_->query(
      "INSERT INTO relays (id, url, started_at, last_seen_at) VALUES ($1, $2, $3, $3) "
      "ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, last_seen_at = EXCLUDED.last_seen_at",
      params(id, url, now));
  if (!done) co_return done.take_error();
  co_return Ok{};
}

StoreTask<std::vector<RelayRecord>> PgStore::relays_seen_since(UnixSeconds since) {
  co_return co_await pg_support::rows<RelayRecord>(
      *pool_,
      "SELECT id, url, started_at, last_seen_at FROM relays WHERE last_seen_at >= $1 ORDER BY id COLLATE "
      "\"C\"",
      params(since), [](const pg::Row& r) {
        return RelayRecord{r.text(0), r.text(1), r.integer(2), r.integer(3)};
      });
}

StoreTask<bool> PgStore::remove_relay(std::string_view id) {
  co_return co_await pg_support::changed_one(*pool_, "DELETE FROM relays WHERE id = $1", params(id));
}

StoreTask<std::string> PgStore::mesh_secret() {
  const std::string fresh = cluster::random_hex(32);
  auto made = co_await pool_->query(
      "INSERT INTO mesh (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING", params(fresh));
  if (!made) co_return made.take_error();
  auto kept = co_await pool_->query("SELECT secret FROM mesh WHERE id = 1");
  if (!kept) co_return kept.take_error();
  if (kept->rows.empty()) co_return ApiError::server(500, "relay database: no mesh secret", "database_error");
  co_return kept->rows[0].text(0);
}

}  // namespace quorum::relay
