// The SQLite store's relay registry and mesh secret (sqlite_store.h, mesh_registry.h).
#include "cluster/crypto.h"
#include "relay/sqlite.h"
#include "relay/sqlite_store.h"
#include "relay/store_checks.h"

namespace quorum::relay {

namespace checks = store_checks;

namespace {

RelayRecord relay_row(const sqlite::Statement& st) {
  return RelayRecord{st.text(0), st.text(1), st.integer(2), st.integer(3)};
}

}  // namespace

Status SqliteStore::announce_relay(std::string_view id, std::string_view url) {
  if (auto ok = checks::all({checks::text("relay id", id), checks::text("relay url", url)}); !ok) return ok;
  std::lock_guard lock(mutex_);
  const UnixSeconds now = clock_();
  return sqlite::run(
      *db_,
      "INSERT INTO relays (id, url, started_at, last_seen_at) VALUES (?1, ?2, ?3, ?3) "
      "ON CONFLICT (id) DO UPDATE SET url = excluded.url, last_seen_at = excluded.last_seen_at",
      id, url, now);
}

Result<std::vector<RelayRecord>> SqliteStore::relays_seen_since(UnixSeconds since) {
  std::lock_guard lock(mutex_);
  return sqlite::rows<RelayRecord>(
      *db_, "SELECT id, url, started_at, last_seen_at FROM relays WHERE last_seen_at >= ?1 ORDER BY id",
      relay_row, since);
}

Result<bool> SqliteStore::remove_relay(std::string_view id) {
  std::lock_guard lock(mutex_);
  return sqlite::changed_one(*db_, "DELETE FROM relays WHERE id = ?1", id);
}

Result<std::string> SqliteStore::mesh_secret() {
  std::lock_guard lock(mutex_);
  const std::string fresh = cluster::random_hex(32);
  if (auto made = sqlite::run(
          *db_, "INSERT INTO mesh (id, secret) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING", fresh);
      !made) {
    return made.take_error();
  }
  auto kept = sqlite::first_row<std::string>(*db_, "SELECT secret FROM mesh WHERE id = 1",
                                             [](const sqlite::Statement& st) { return st.text(0); });
  if (!kept) return kept.take_error();
  if (!*kept) return ApiError::server(500, "relay database: no mesh secret", "database_error");
  return std::move(**kept);
}

}  // namespace quorum::relay
