// The SQLite store's API keys (sqlite_store.h). The models a key may use are kept as a JSON array of strings.
#include "auth/api_key.h"
#include "relay/sqlite.h"
#include "relay/sqlite_store.h"
#include "relay/store_checks.h"
#include "relay/store_rows.h"

namespace quorum::relay {

namespace checks = store_checks;

namespace {

Result<std::optional<ApiKey>> key_by_id(sqlite::Database& db, std::string_view id) {
  return sqlite::first_row<ApiKey>(
      db,
      "SELECT id, cluster_id, name, secret_hash, models, rpm, tpm, max_parallel, "
      "expires_at, created_at, last_used_at, revoked_at FROM api_keys WHERE id = ?1",
      store_rows::key<sqlite::Statement>, id);
}

}  // namespace

KeyState ApiKey::state(UnixSeconds now) const {
  if (revoked_at) return KeyState::revoked;
  if (expires_at && *expires_at <= now) return KeyState::expired;
  return KeyState::active;
}

bool ApiKey::allows(std::string_view model) const {
  if (models.empty()) return true;
  for (const auto& m : models) {
    if (m == model) return true;
  }
  return false;
}

Result<std::string> SqliteStore::create_key(std::string_view cluster_id, std::string_view name,
                                            const KeyLimits& limits, const std::vector<std::string>& models,
                                            std::optional<UnixSeconds> expires_at) {
  if (auto ok = checks::new_key(cluster_id, name, models); !ok) return ok.take_error();
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(*db_);
  if (auto begun = tx.begin(); !begun) return begun.take_error();
  auto live = sqlite::first_row<int64_t>(
      *db_, "SELECT 1 FROM clusters WHERE id = ?1 AND revoked_at IS NULL",
      [](const sqlite::Statement& st) { return st.integer(0); }, cluster_id);
  if (!live) return live.take_error();
  if (!*live) return ApiError::not_found("no cluster " + std::string(cluster_id), "cluster_id");
  const std::string models_text = checks::models_json(models);
  for (int attempt = 0; attempt < checks::kIdAttempts; ++attempt) {
    auto key = api_key::generate(api_key::Kind::key);
    auto added = sqlite::changed_one(
        *db_,
        "INSERT INTO api_keys (id, cluster_id, name, secret_hash, models, rpm, tpm, "
        "max_parallel, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
        "ON CONFLICT (id) DO NOTHING",
        key.id, cluster_id, name, key.secret_hash, models_text, limits.rpm, limits.tpm, limits.max_parallel,
        expires_at, clock_());
    if (!added) return added.take_error();
    if (!*added) continue;  // the id was taken: draw another
    if (auto committed = tx.commit(); !committed) return committed.take_error();
    return std::move(key.text);
  }
  return ApiError::server(
      500, "relay database: no free key id after " + std::to_string(checks::kIdAttempts) + " draws",
      "database_error");
}

Result<std::optional<ApiKey>> SqliteStore::find_key(std::string_view id) {
  std::lock_guard lock(mutex_);
  return key_by_id(*db_, id);
}

Result<std::vector<ApiKey>> SqliteStore::keys_of(std::string_view cluster_id) {
  std::lock_guard lock(mutex_);
  return sqlite::rows<ApiKey>(*db_,
                              "SELECT id, cluster_id, name, secret_hash, models, rpm, tpm, max_parallel, "
                              "expires_at, created_at, last_used_at, revoked_at FROM api_keys "
                              "WHERE cluster_id = ?1 ORDER BY created_at, id",
                              store_rows::key<sqlite::Statement>, cluster_id);
}

Result<bool> SqliteStore::revoke_key(std::string_view cluster_id, std::string_view id) {
  std::lock_guard lock(mutex_);
  return sqlite::changed_one(
      *db_, "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?1) WHERE id = ?2 AND cluster_id = ?3",
      clock_(), id, cluster_id);
}

Result<std::vector<KeyHash>> SqliteStore::key_hashes_of(std::string_view cluster_id) {
  auto keys = keys_of(cluster_id);
  if (!keys) return keys.take_error();
  return checks::key_hashes(std::move(*keys));
}

Result<bool> SqliteStore::touch_key(std::string_view id, UnixSeconds at) {
  std::lock_guard lock(mutex_);
  return touch(
      "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2 AND "
      "(last_used_at IS NULL OR last_used_at <= ?1 - ?3)",
      "SELECT 1 FROM api_keys WHERE id = ?1", id, at);
}

Result<KeyCheck> SqliteStore::check_key(std::string_view text) {
  auto parsed = api_key::parse(text, api_key::Kind::key);
  if (!parsed) return KeyCheck{KeyVerdict::malformed, std::nullopt};
  std::lock_guard lock(mutex_);
  auto key = key_by_id(*db_, parsed->id);
  if (!key) return key.take_error();
  return checks::verdict(std::move(*key), parsed->secret, clock_());
}

}  // namespace quorum::relay
