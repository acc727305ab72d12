// What the PostgreSQL store's files (pg_store*.cpp) share: parameters from C++ values, a statement that
// changes one row, a transaction around a body, and the throttled touch. Not part of the Store's interface.
#pragma once

#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "relay/pg.h"
#include "relay/store.h"

namespace quorum::relay::pg_support {

template <class... Args>
std::vector<pg::Param> params(const Args&... args) {
  return {pg::param(args)...};
}

// Whether the statement changed exactly one row.
inline pg::Task<Result<bool>> changed_one(pg::Pool& pool, std::string sql, std::vector<pg::Param> args) {
  auto done = co_await pool.query(std::move(sql), std::move(args));
  if (!done) co_return done.take_error();
  co_return done->affected == 1;
}

// The rows of `sql`, each made by `read(row)`, which returns a T or a Result<T> (a row it refuses fails the
// whole query), as sqlite::rows does.
template <class T, class Read>
pg::Task<Result<std::vector<T>>> rows(pg::Pool& pool, std::string sql, std::vector<pg::Param> args,
                                      Read read) {
  auto done = co_await pool.query(std::move(sql), std::move(args));
  if (!done) co_return done.take_error();
  std::vector<T> out;
  out.reserve(done->rows.size());
  for (const auto& r : done->rows) {
    if constexpr (std::is_same_v<std::invoke_result_t<Read, const pg::Row&>, T>) {
      out.push_back(read(r));
    } else {
      auto row = read(r);
      if (!row) co_return row.take_error();
      out.push_back(std::move(*row));
    }
  }
  co_return out;
}

// The first row of `sql`, or nullopt when there is none.
template <class T, class Read>
pg::Task<Result<std::optional<T>>> first_row(pg::Pool& pool, std::string sql, std::vector<pg::Param> args,
                                             Read read) {
  auto all = co_await rows<T>(pool, std::move(sql), std::move(args), read);
  if (!all) co_return all.take_error();
  if (all->empty()) co_return std::optional<T>();
  co_return std::optional<T>(std::move(all->front()));
}

// Runs `body` (a coroutine taking the pg::Lease) between BEGIN and COMMIT on one connection; an error from it
// rolls back and is the result.
template <class T, class Body>
pg::Task<Result<T>> transaction(pg::Pool& pool, Body body) {
  auto lease = co_await pool.acquire();
  if (!lease) co_return lease.take_error();
  if (auto begun = co_await (*lease)->script("BEGIN"); !begun) co_return begun.take_error();
  Result<T> result = co_await body(*lease);
  if (!result) {
    (void)co_await (*lease)->script("ROLLBACK");  // failing, the lease closes the connection: rolled back too
    co_return result;
  }
  if (auto committed = co_await (*lease)->script("COMMIT"); !committed) co_return committed.take_error();
  co_return result;
}

// Runs `update` ($1 the time, $2 the id, $3 kTouchEvery); when it changed nothing, whether `exists` ($1 the
// id) finds the row. A touch that moves nothing is a read.
inline pg::Task<Result<bool>> touch(pg::Pool& pool, std::string update, std::string exists,
                                    std::string_view id, UnixSeconds at) {
  auto written = co_await changed_one(pool, std::move(update), params(at, id, kTouchEvery));
  if (!written) co_return written.take_error();
  if (*written) co_return true;
  auto found = co_await pool.query(std::move(exists), params(id));
  if (!found) co_return found.take_error();
  co_return !found->rows.empty();
}

}  // namespace quorum::relay::pg_support
