// The SQLite store's opening, its enrolment tokens and its clusters (sqlite_store.h). Nodes and sessions are
// in store_nodes.cpp, keys in store_keys.cpp, usage in store_usage.cpp.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "auth/api_key.h"
#include "relay/sqlite.h"
#include "relay/sqlite_store.h"
#include "relay/store_checks.h"
#include "relay/store_rows.h"
#include "relay/store_schema.h"

namespace quorum::relay {

namespace fs = std::filesystem;
namespace checks = store_checks;

namespace {

constexpr const char* kFileName = "relay.db";

ApiError file_error(const std::string& what, const std::string& why) {
  return ApiError::server(500, "relay database: cannot " + what + ": " + why, "database_error");
}

// The directory (0700 when created here) and the file (0600, also when it existed: it holds the hashes).
Status prepare_files(const fs::path& dir, const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return file_error("create " + dir.string(), ec.message());
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) return file_error("set the mode of " + dir.string(), ec.message());
  } else if (!fs::is_directory(dir, ec)) {
    return file_error("use " + dir.string(), "not a directory");
  }
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return file_error("open " + file.string(), std::strerror(errno));
  const bool moded = ::fchmod(fd, 0600) == 0;
  const std::string why = moded ? "" : std::strerror(errno);
  ::close(fd);
  if (!moded) return file_error("set the mode of " + file.string(), why);
  return Ok{};
}

Status configure(sqlite::Database& db) {
  // WAL lets readers work during a write; FULL syncs each commit, so a revocation survives a power cut.
  auto mode = sqlite::first_row<std::string>(db, "PRAGMA journal_mode = WAL",
                                             [](const sqlite::Statement& st) { return st.text(0); });
  if (!mode) return mode.take_error();
  if (mode->value_or("") != "wal") {
    return ApiError::server(500,
                            "relay database: WAL mode is not available here (journal mode " +
                                mode->value_or("?") + "); put the state directory on a local file system",
                            "database_error");
  }
  return db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
}

}  // namespace

UnixSeconds unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SqliteStore::SqliteStore(std::unique_ptr<sqlite::Database> db, Clock clock)
    : db_(std::move(db)), clock_(std::move(clock)) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& dir, Clock clock) {
  const fs::path file = fs::path(dir) / kFileName;
  if (auto ready = prepare_files(dir, file); !ready) return ready.take_error();
  auto db = sqlite::Database::open(file.string());
  if (!db) return db.take_error();
  if (auto configured = configure(**db); !configured) return configured.take_error();
  if (auto migrated = migrate(**db); !migrated) return migrated.take_error();
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::move(*db), clock ? std::move(clock) : Clock(unix_now)));
}

Result<int> SqliteStore::schema_version() {
  std::lock_guard lock(mutex_);
  return relay::schema_version(*db_);
}

Result<bool> SqliteStore::touch(std::string_view update, std::string_view exists, std::string_view id,
                                UnixSeconds at) {
  // A touch that moves nothing is a read: no transaction is written, nothing is synced.
  auto written = sqlite::changed_one(*db_, update, at, id, kTouchEvery);
  if (!written) return written.take_error();
  if (*written) return true;
  auto found = sqlite::first_row<int64_t>(
      *db_, exists, [](const sqlite::Statement& st) { return st.integer(0); }, id);
  if (!found) return found.take_error();
  return found->has_value();
}

// ---- enrolment tokens ----

Result<std::string> SqliteStore::create_enrol_token(std::string_view note) {
  if (auto ok = checks::text("note", note, true); !ok) return ok.take_error();
  std::lock_guard lock(mutex_);
  auto token = api_key::generate(api_key::Kind::enrol_token);
  auto added = sqlite::run(
      *db_, "INSERT INTO enrol_tokens (id, secret_hash, note, created_at) VALUES (?1, ?2, ?3, ?4)", token.id,
      token.secret_hash, note, clock_());
  if (!added) return added.take_error();
  return std::move(token.text);
}

Result<bool> SqliteStore::redeem_enrol_token(std::string_view text, std::string_view cluster_id) {
  if (auto ok = checks::text("cluster id", cluster_id); !ok) return ok.take_error();
  auto parsed = api_key::parse(text, api_key::Kind::enrol_token);
  if (!parsed) return false;
  std::lock_guard lock(mutex_);
  auto hash = sqlite::first_row<std::string>(
      *db_, "SELECT secret_hash FROM enrol_tokens WHERE id = ?1 AND used_at IS NULL AND revoked_at IS NULL",
      [](const sqlite::Statement& st) { return st.text(0); }, parsed->id);
  if (!hash) return hash.take_error();
  if (!*hash || !api_key::matches(parsed->secret, **hash)) return false;
  // The conditions again, in the UPDATE itself: of two redemptions at once, one changes the row.
  return sqlite::changed_one(*db_,
                             "UPDATE enrol_tokens SET used_at = ?1, cluster_id = ?2 "
                             "WHERE id = ?3 AND used_at IS NULL AND revoked_at IS NULL",
                             clock_(), cluster_id, parsed->id);
}

Result<std::vector<EnrolToken>> SqliteStore::list_enrol_tokens() {
  std::lock_guard lock(mutex_);
  return sqlite::rows<EnrolToken>(
      *db_,
      "SELECT id, note, created_at, used_at, coalesce(cluster_id, ''), revoked_at FROM enrol_tokens "
      "ORDER BY created_at, id",
      store_rows::token<sqlite::Statement>);
}

Result<bool> SqliteStore::revoke_enrol_token(std::string_view id) {
  std::lock_guard lock(mutex_);
  return sqlite::changed_one(
      *db_, "UPDATE enrol_tokens SET revoked_at = coalesce(revoked_at, ?1) WHERE id = ?2", clock_(), id);
}

// ---- clusters ----

Result<bool> SqliteStore::add_cluster(const Cluster& cluster) {
  if (auto ok =
          checks::all({checks::text("cluster id", cluster.id), checks::text("cluster name", cluster.name),
                       checks::public_key("enrol_public_key", cluster.enrol_public_key)});
      !ok) {
    return ok.take_error();
  }
  std::lock_guard lock(mutex_);
  return sqlite::changed_one(*db_,
                             "INSERT INTO clusters (id, name, enrol_public_key, created_at) "
                             "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO NOTHING",
                             cluster.id, cluster.name, sqlite::Blob{cluster.enrol_public_key}, clock_());
}

Result<std::optional<Cluster>> SqliteStore::cluster(std::string_view id) {
  std::lock_guard lock(mutex_);
  return sqlite::first_row<Cluster>(
      *db_, "SELECT id, name, enrol_public_key, created_at, revoked_at FROM clusters WHERE id = ?1",
      store_rows::cluster<sqlite::Statement>, id);
}

Result<bool> SqliteStore::revoke_cluster(std::string_view id) {
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(*db_);
  if (auto begun = tx.begin(); !begun) return begun.take_error();
  const UnixSeconds now = clock_();
  auto revoked = sqlite::changed_one(
      *db_, "UPDATE clusters SET revoked_at = coalesce(revoked_at, ?1) WHERE id = ?2", now, id);
  if (!revoked) return revoked.take_error();
  if (!*revoked) return false;
  for (const char* sql :
       {"UPDATE nodes SET revoked_at = ?1 WHERE cluster_id = ?2 AND revoked_at IS NULL",
        "UPDATE api_keys SET revoked_at = ?1 WHERE cluster_id = ?2 AND revoked_at IS NULL"}) {
    if (auto cascaded = sqlite::run(*db_, sql, now, id); !cascaded) return cascaded.take_error();
  }
  if (auto committed = tx.commit(); !committed) return committed.take_error();
  return true;
}

Result<std::vector<Cluster>> SqliteStore::list_clusters() {
  std::lock_guard lock(mutex_);
  return sqlite::rows<Cluster>(
      *db_, "SELECT id, name, enrol_public_key, created_at, revoked_at FROM clusters ORDER BY created_at, id",
      store_rows::cluster<sqlite::Statement>);
}

}  // namespace quorum::relay
