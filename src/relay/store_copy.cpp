#include "relay/store_copy.h"

#include <filesystem>

#include "relay/pg.h"
#include "relay/pg_schema.h"
#include "relay/pg_store_support.h"
#include "relay/sqlite.h"
#include "relay/store.h"
#include "relay/store_schema.h"

namespace quorum::relay {

namespace fs = std::filesystem;

namespace {

// A column and its kind: text, nullable text, integer, nullable integer, blob (bytea).
enum class Kind { text, optional_text, integer, optional_integer, blob };
struct Column {
  const char* name;
  Kind kind;
};
struct Table {
  const char* name;
  std::vector<Column> columns;
};

// Every table of schema version 2, in an order that keeps the foreign keys satisfied.
const std::vector<Table>& tables() {
  static const std::vector<Table> all = {
      {"enrol_tokens",
       {{"id", Kind::text},
        {"secret_hash", Kind::text},
        {"note", Kind::text},
        {"created_at", Kind::integer},
        {"used_at", Kind::optional_integer},
        {"cluster_id", Kind::optional_text},
        {"revoked_at", Kind::optional_integer}}},
      {"clusters",
       {{"id", Kind::text},
        {"name", Kind::text},
        {"enrol_public_key", Kind::blob},
        {"created_at", Kind::integer},
        {"revoked_at", Kind::optional_integer}}},
      {"nodes",
       {{"id", Kind::text},
        {"cluster_id", Kind::text},
        {"name", Kind::text},
        {"public_key", Kind::blob},
        {"enrolled_at", Kind::integer},
        {"revoked_at", Kind::optional_integer},
        {"last_seen_at", Kind::optional_integer}}},
      {"node_sessions",
       {{"id", Kind::integer},
        {"node_id", Kind::text},
        {"connected_at", Kind::integer},
        {"disconnected_at", Kind::optional_integer},
        {"reason", Kind::optional_text}}},
      {"api_keys",
       {{"id", Kind::text},
        {"cluster_id", Kind::text},
        {"name", Kind::text},
        {"secret_hash", Kind::text},
        {"models", Kind::text},
        {"rpm", Kind::integer},
        {"tpm", Kind::integer},
        {"max_parallel", Kind::integer},
        {"expires_at", Kind::optional_integer},
        {"created_at", Kind::integer},
        {"last_used_at", Kind::optional_integer},
        {"revoked_at", Kind::optional_integer}}},
      {"usage_daily",
       {{"day", Kind::text},
        {"cluster_id", Kind::text},
        {"key_id", Kind::text},
        {"node_id", Kind::text},
        {"model", Kind::text},
        {"requests", Kind::integer},
        {"failed", Kind::integer},
        {"prompt_tokens", Kind::integer},
        {"completion_tokens", Kind::integer}}},
      {"users",
       {{"id", Kind::text},
        {"email", Kind::text},
        {"password_hash", Kind::optional_text},
        {"is_operator", Kind::integer},
        {"created_at", Kind::integer}}},
      {"memberships",
       {{"cluster_id", Kind::text},
        {"user_id", Kind::text},
        {"role", Kind::text},
        {"created_at", Kind::integer}}},
      {"web_sessions",
       {{"id_hash", Kind::text},
        {"user_id", Kind::text},
        {"created_at", Kind::integer},
        {"last_used_at", Kind::integer}}},
      {"sign_in_links",
       {{"token_hash", Kind::text},
        {"user_id", Kind::text},
        {"created_at", Kind::integer},
        {"expires_at", Kind::integer},
        {"used_at", Kind::optional_integer}}},
      {"invites",
       {{"id", Kind::text},
        {"token_hash", Kind::text},
        {"cluster_id", Kind::text},
        {"role", Kind::text},
        {"email", Kind::text},
        {"created_by", Kind::text},
        {"created_at", Kind::integer},
        {"expires_at", Kind::integer},
        {"used_at", Kind::optional_integer},
        {"revoked_at", Kind::optional_integer}}},
      {"audit_log",
       {{"id", Kind::integer},
        {"cluster_id", Kind::text},
        {"at", Kind::integer},
        {"actor", Kind::text},
        {"action", Kind::text},
        {"object", Kind::text},
        {"detail", Kind::text}}},
  };
  return all;
}

// SELECT of the table's columns (a nullable text column is followed by `… IS NULL`), and the INSERT.
std::pair<std::string, std::string> statements(const Table& t) {
  std::string select = "SELECT ", names, values;
  int n = 0;
  for (const auto& c : t.columns) {
    if (n > 0) {
      select += ", ";
      names += ", ";
      values += ", ";
    }
    select += c.name;
    if (c.kind == Kind::optional_text) select += std::string(", ") + c.name + " IS NULL";
    names += c.name;
    values += "$" + std::to_string(++n);
  }
  select += std::string(" FROM ") + t.name;
  return {select, std::string("INSERT INTO ") + t.name + " (" + names + ") VALUES (" + values + ")"};
}

Result<std::vector<std::vector<pg::Param>>> read_table(sqlite::Database& db, const Table& t) {
  const auto [select, insert] = statements(t);
  return sqlite::rows<std::vector<pg::Param>>(db, select, [&t](const sqlite::Statement& st) {
    std::vector<pg::Param> row;
    int i = 0;
    for (const auto& c : t.columns) {
      switch (c.kind) {
        case Kind::text:
          row.push_back(pg::param(st.text(i)));
          break;
        case Kind::optional_text:
          row.push_back(st.integer(i + 1) != 0 ? pg::Param(pg::Null{}) : pg::param(st.text(i)));
          ++i;
          break;
        case Kind::integer:
          row.push_back(pg::param(st.integer(i)));
          break;
        case Kind::optional_integer:
          row.push_back(pg::param(st.optional_integer(i)));
          break;
        case Kind::blob:
          row.push_back(pg::param(pg::Bytes{st.blob(i)}));
          break;
      }
      ++i;
    }
    return row;
  });
}

ApiError refused(int status, const std::string& why) {
  return ApiError::server(status, "migrate: " + why, "database_error");
}

}  // namespace

boost::asio::awaitable<Result<CopyReport>> copy_sqlite_to_postgres(std::string from, std::string to,
                                                                   boost::asio::any_io_executor executor) {
  std::error_code ec;
  const fs::path file = fs::is_directory(from, ec) ? fs::path(from) / "relay.db" : fs::path(from);
  if (!fs::is_regular_file(file, ec)) co_return refused(404, "no SQLite database at " + file.string());
  if (!is_postgres_url(to)) co_return refused(400, "--to must be a postgres:// URL");
  auto db = sqlite::Database::open(file.string());
  if (!db) co_return db.take_error();
  if (auto migrated = migrate(**db); !migrated) co_return migrated.take_error();

  pg::Pool pool(executor, to, 1);
  if (auto migrated = co_await pg_schema::migrate(pool); !migrated) co_return migrated.take_error();
  for (const auto& t : tables()) {
    std::string sql = std::string("SELECT count(*) FROM ") + t.name;
    auto count = co_await pool.query(std::move(sql));
    if (!count) co_return count.take_error();
    if (const int64_t n = count->rows.empty() ? 0 : count->rows[0].integer(0); n > 0) {
      co_return refused(409, "the target database is not empty (" + std::to_string(n) + " rows in " + t.name +
                                 "): migrate copies into an empty database only");
    }
  }
  co_return co_await pg_support::transaction<CopyReport>(
      pool, [&](pg::Lease& c) -> pg::Task<Result<CopyReport>> {
        CopyReport report;
        for (const auto& t : tables()) {
          auto rows = read_table(**db, t);
          if (!rows) co_return rows.take_error();
          const std::string insert = statements(t).second;
          for (auto& row : *rows) {
            auto added = co_await c->query(insert, std::move(row));
            if (!added) co_return added.take_error();
          }
          report.tables.emplace_back(t.name, static_cast<int64_t>(rows->size()));
        }
        // New sessions take ids after the copied ones.
        auto moved = co_await c->query(
            "SELECT setval(pg_get_serial_sequence('node_sessions', 'id'), coalesce(max(id), 0) + 1, false) "
            "FROM node_sessions");
        if (!moved) co_return moved.take_error();
        auto audit_moved = co_await c->query(
            "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), coalesce(max(id), 0) + 1, false) "
            "FROM audit_log");
        if (!audit_moved) co_return audit_moved.take_error();
        co_return report;
      });
}

}  // namespace quorum::relay
