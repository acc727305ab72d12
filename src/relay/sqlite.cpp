#include "relay/sqlite.h"

#include <sqlite3.h>

#include <limits>
#include <utility>

namespace quorum::relay::sqlite {

namespace {

ApiError error_of(sqlite3* db, int rc, std::string_view what) {
  std::string message = std::string("relay database: ") + sqlite3_errstr(rc) + " (" + sqlite3_errmsg(db) +
                        ") in: " + std::string(what);
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
    return ApiError::server(503, std::move(message), "database_busy");
  }
  return ApiError::server(500, std::move(message), "database_error");
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), bind_error_(other.bind_error_) {}

Statement::~Statement() {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::check_bind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void Statement::bind_one(int index, std::string_view text) {
  check_bind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

void Statement::bind_one(int index, Blob blob) {
  // A zero-length blob is still a blob, not NULL (sqlite3_bind_blob64 would bind NULL for a null pointer).
  if (blob.bytes.empty()) {
    check_bind(sqlite3_bind_zeroblob(stmt_, index, 0));
    return;
  }
  check_bind(sqlite3_bind_blob64(stmt_, index, blob.bytes.data(), blob.bytes.size(), SQLITE_TRANSIENT));
}

void Statement::bind_one(int index, int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value));
}

void Statement::bind_one(int index, uint64_t value) {
  // SQLite's integers are signed 64-bit: larger values are stored as the largest (limits that large are
  // unlimited in practice).
  const auto max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  check_bind(sqlite3_bind_int64(stmt_, index, static_cast<int64_t>(value > max ? max : value)));
}

void Statement::bind_one(int index, std::optional<int64_t> value) {
  check_bind(value ? sqlite3_bind_int64(stmt_, index, *value) : sqlite3_bind_null(stmt_, index));
}

Result<bool> Statement::step() {
  if (bind_error_ != SQLITE_OK) return error_of(db_, bind_error_, "binding a parameter");
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const char* sql = sqlite3_sql(stmt_);
  ApiError e = error_of(db_, rc, sql ? std::string_view(sql).substr(0, 60) : "a statement");
  sqlite3_reset(stmt_);
  return e;
}

Status Statement::run() {
  while (true) {
    auto more = step();
    if (!more) return more.take_error();
    if (!*more) return Ok{};
  }
}

int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::optional<int64_t> Statement::optional_integer(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

std::string Statement::blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message =
        "relay database: cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return ApiError::server(500, std::move(message), "database_error");
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Database>(new Database(db));
}

Database::~Database() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<Statement> Database::prepare(std::string_view sql) {
  auto it = statements_.find(std::string(sql));
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return error(rc, "preparing " + std::string(sql.substr(0, 60)));
    it = statements_.emplace(std::string(sql), stmt).first;
  }
  return Statement(db_, it->second);
}

Status Database::exec(const char* script) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, script, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Ok{};
  std::string why = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  ApiError e = error(rc, std::string_view(script).substr(0, 60));
  e.message += ": " + why;
  return e;
}

int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}

int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

ApiError Database::error(int rc, std::string_view what) const {
  return error_of(db_, rc, what);
}

Status Transaction::begin() {
  auto begun = db_.exec("BEGIN IMMEDIATE");
  open_ = begun.ok();
  return begun;
}

Status Transaction::commit() {
  auto committed = db_.exec("COMMIT");
  if (committed) open_ = false;
  return committed;
}

Transaction::~Transaction() {
  if (open_) db_.exec("ROLLBACK");
}

}  // namespace quorum::relay::sqlite
