// A thin RAII layer over SQLite's C API, for the relay's store: a connection that keeps its prepared
// statements, statements whose parameters are always bound (never formatted into SQL), transactions that roll
// back unless committed. Errors are values: an ApiError 500 ("relay database: …"), or 503 when the database
// stayed locked by another process past the busy timeout.
//
// Not thread-safe: one Database is used by one thread at a time (the Store locks around it). A Statement
// borrows its connection's cached statement and must end before the next prepare() of the same SQL and
// before the Database.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace quorum::relay::sqlite {

// Binds as a BLOB (raw bytes); a std::string_view binds as TEXT.
struct Blob {
  std::string_view bytes;
};

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement();  // resets the statement and clears its parameters, for the next user

  // Parameters ?1, ?2, … in order: text, Blob, integers, std::optional<int64_t> (NULL when empty).
  template <class... Args>
  Statement& bind(const Args&... args) {
    int index = 0;
    (bind_one(++index, args), ...);
    return *this;
  }

  // Steps once: true when a row is ready for the column readers, false when the statement is done.
  Result<bool> step();
  // Steps until done (an INSERT, UPDATE or DELETE).
  Status run();

  // Columns of the current row, from 0.
  int64_t integer(int column) const;
  std::optional<int64_t> optional_integer(int column) const;  // nullopt for NULL
  std::string text(int column) const;                         // "" for NULL
  std::string blob(int column) const;                         // "" for NULL

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void bind_one(int index, std::string_view text);
  void bind_one(int index, const std::string& text) { bind_one(index, std::string_view(text)); }
  void bind_one(int index, const char* text) { bind_one(index, std::string_view(text)); }
  void bind_one(int index, Blob blob);
  void bind_one(int index, int64_t value);
  void bind_one(int index, uint64_t value);
  void bind_one(int index, int value) { bind_one(index, static_cast<int64_t>(value)); }
  void bind_one(int index, std::optional<int64_t> value);
  void check_bind(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;  // the first failed bind's code, reported by step()
};

class Database {
 public:
  // Opens (creating) the database file at `path`, read-write.
  static Result<std::unique_ptr<Database>> open(const std::string& path);
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // The statement for `sql` (one statement; parameters as ?N), prepared on first use and kept.
  Result<Statement> prepare(std::string_view sql);
  // Runs a fixed script of statements without parameters (schema, pragmas).
  Status exec(const char* script);
  // The rows the last INSERT, UPDATE or DELETE changed; the rowid of the last INSERT.
  int64_t changes() const;
  int64_t last_insert_rowid() const;

  // The error of the last failed call, as the store returns it; `what` says what was being done.
  ApiError error(int rc, std::string_view what) const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

// Runs `sql` with `args` bound (an INSERT, UPDATE or DELETE).
template <class... Args>
Status run(Database& db, std::string_view sql, const Args&... args) {
  auto st = db.prepare(sql);
  if (!st) return st.take_error();
  return st->bind(args...).run();
}

// Runs `sql` with `args` bound (an INSERT, UPDATE or DELETE); how many rows it changed.
template <class... Args>
Result<int64_t> changes(Database& db, std::string_view sql, const Args&... args) {
  if (auto done = run(db, sql, args...); !done) return done.take_error();
  return db.changes();
}

// The same, true when exactly one row changed (an UPDATE or INSERT of one row by its key).
template <class... Args>
Result<bool> changed_one(Database& db, std::string_view sql, const Args&... args) {
  auto n = changes(db, sql, args...);
  if (!n) return n.take_error();
  return *n == 1;
}

// The rows of `sql` with `args` bound, each made by `read(statement)`, which returns a T or a Result<T> (a
// row it refuses fails the whole query).
template <class T, class Read, class... Args>
Result<std::vector<T>> rows(Database& db, std::string_view sql, Read read, const Args&... args) {
  auto st = db.prepare(sql);
  if (!st) return st.take_error();
  st->bind(args...);
  std::vector<T> out;
  while (true) {
    auto more = st->step();
    if (!more) return more.take_error();
    if (!*more) return out;
    if constexpr (std::is_same_v<std::invoke_result_t<Read, const Statement&>, T>) {
      out.push_back(read(*st));
    } else {
      auto row = read(*st);
      if (!row) return row.take_error();
      out.push_back(std::move(*row));
    }
  }
}

// The first row of `sql`, or nullopt when there is none.
template <class T, class Read, class... Args>
Result<std::optional<T>> first_row(Database& db, std::string_view sql, Read read, const Args&... args) {
  auto all = rows<T>(db, sql, read, args...);
  if (!all) return all.take_error();
  if (all->empty()) return std::optional<T>();
  return std::optional<T>(std::move(all->front()));
}

// begin() runs BEGIN IMMEDIATE (the write lock at once, so that what the transaction reads stays true until
// it commits); the destructor rolls back unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  Status begin();
  Status commit();

 private:
  Database& db_;
  bool open_ = false;
};

}  // namespace quorum::relay::sqlite
