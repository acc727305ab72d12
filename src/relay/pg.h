// A thin asynchronous layer over libpq for the relay's PostgreSQL store: connections in nonblocking mode that
// wait on their socket through the Asio event loop (PQsendQueryParams, PQflush, PQconsumeInput, PQisBusy; no
// thread per query and no blocking call), and a small pool of them. Parameters are always bound (never
// formatted into SQL); results are read in text form.
//
// Errors are values: 503 ("relay database unavailable: …") when the server cannot be reached, the connection
// is lost, or an answer takes longer than its deadline (the connection is then dropped and the pool opens a
// new one on the next call); 500 ("relay database: …") for a statement the server refuses. Messages never
// hold the password of the connection URL.
//
// Single-threaded: a Pool and its connections are used on one executor's thread (the relay's event loop).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

struct pg_conn;

namespace quorum::relay::pg {

template <class T>
using Task = boost::asio::awaitable<T>;

// Binds as bytea (raw bytes); a std::string binds as text.
struct Bytes {
  std::string bytes;
};
struct Null {};
using Param = std::variant<Null, std::string, Bytes, int64_t>;

// A parameter from a C++ value: text, Bytes, integers (unsigned ones above INT64_MAX are stored as INT64_MAX,
// as the SQLite store does), std::optional<int64_t> (NULL when empty).
Param param(std::string_view text);
Param param(Bytes bytes);
Param param(int64_t value);
Param param(uint64_t value);
Param param(int value);
Param param(std::optional<int64_t> value);

// A PostgreSQL array literal, to bind as one text parameter cast to text[] or bigint[] (so that one statement
// carries many rows: `unnest($1::text[], …)`). Text elements are double-quoted, `"` and `\` escaped, so any
// text survives; unsigned values above INT64_MAX are written as INT64_MAX, as param() does.
std::string text_array(const std::vector<std::string_view>& values);
std::string integer_array(const std::vector<uint64_t>& values);

// One row of a result, its columns from 0 in text form (NULL is nullopt).
struct Row {
  std::vector<std::optional<std::string>> cells;

  int64_t integer(int column) const;                          // 0 for NULL
  std::optional<int64_t> optional_integer(int column) const;  // nullopt for NULL
  std::string text(int column) const;                         // "" for NULL
  std::string blob(int column) const;                         // bytea decoded; "" for NULL
  bool boolean(int column) const;                             // 't'
};

struct Rows {
  std::vector<Row> rows;
  int64_t affected = 0;  // rows an INSERT, UPDATE or DELETE changed
};

// How long a connection may take to open, and a statement to answer, before the call fails with 503.
inline constexpr std::chrono::seconds kConnectTimeout{10};
inline constexpr std::chrono::seconds kQueryTimeout{30};

class Connection {
 public:
  // Opens a connection (a libpq URI or key=value string), without blocking. 503 when it cannot.
  static Task<Result<std::unique_ptr<Connection>>> connect(boost::asio::any_io_executor executor,
                                                           std::string conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement with $1, $2, … bound to `params`.
  Task<Result<Rows>> query(std::string sql, std::vector<Param> params = {});
  // Statements without parameters, several separated by ';' (a migration, BEGIN, COMMIT).
  Task<Status> script(std::string sql);

  // True once the connection is lost or left mid-answer: it is never used again.
  bool broken() const;
  // Reads what the server sent meanwhile, without waiting: false when that shows the connection lost (the
  // server restarted or closed it while it was idle).
  bool alive();
  // True inside a transaction (BEGIN without its COMMIT or ROLLBACK).
  bool in_transaction() const;

 private:
  struct Io;
  Connection(pg_conn* conn, std::unique_ptr<Io> io);
  Task<Result<Rows>> finish(std::string_view what);

  pg_conn* conn_;
  std::unique_ptr<Io> io_;
  bool broken_ = false;
};

class Pool;

// A connection taken from the pool; given back when destroyed, or dropped when broken or still inside a
// transaction (closing it rolls the transaction back), or when the pool is gone (a coroutine destroyed with
// its loop after the store).
class Lease {
 public:
  Lease(std::weak_ptr<Pool*> pool, std::unique_ptr<Connection> conn)
      : pool_(std::move(pool)), conn_(std::move(conn)) {}
  Lease(Lease&& other) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();
  Connection* operator->() { return conn_.get(); }

 private:
  std::weak_ptr<Pool*> pool_;
  std::unique_ptr<Connection> conn_;
};

class Pool {
 public:
  // At most `size` connections, opened when needed. `conninfo` is kept for reconnecting.
  Pool(const boost::asio::any_io_executor& executor, std::string conninfo, size_t size);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // An idle connection, a new one while fewer than `size` are open, or the next one given back. 503 when a
  // new one cannot be opened.
  Task<Result<Lease>> acquire();
  // One statement on a connection of the pool.
  Task<Result<Rows>> query(std::string sql, std::vector<Param> params = {});

  boost::asio::any_io_executor executor() const { return executor_; }

 private:
  friend class Lease;
  void give_back(std::unique_ptr<Connection> conn);

  boost::asio::any_io_executor executor_;
  std::string conninfo_;
  size_t size_;
  size_t open_ = 0;
  std::deque<std::unique_ptr<Connection>> idle_;
  boost::asio::steady_timer available_;  // cancelled (one waiter woken) when a place frees up
  std::shared_ptr<Pool*> self_;          // what leases hold a weak reference to
};

}  // namespace quorum::relay::pg
