// `quorum-relay migrate`: copies a relay's SQLite database (relay.db) into an empty PostgreSQL database,
// every table and row as they are (ids, hashes, times, counts), in one PostgreSQL transaction: the copy is
// whole or absent. The SQLite file is first brought to the latest schema, as opening it would; the PostgreSQL
// one gets its schema (pg_schema.h). A target holding any row is refused (409) and left untouched.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace quorum::relay {

struct CopyReport {
  std::vector<std::pair<std::string, int64_t>> tables;  // each table copied and its rows, in copy order
};

// `from` is a data directory (its relay.db) or the file itself, which must exist; `to` a postgres:// URL.
boost::asio::awaitable<Result<CopyReport>> copy_sqlite_to_postgres(std::string from, std::string to,
                                                                   boost::asio::any_io_executor executor);

}  // namespace quorum::relay
