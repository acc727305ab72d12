// The relay database's schema in PostgreSQL: the same tables, columns and constraints as SQLite's
// (store_schema.h), as an ordered list of migrations of its own. Table quorum_schema_version holds one row
// per migration applied; opening applies the missing ones, each in its own transaction under an advisory lock
// (so relays starting together against one database migrate it once). A database of a later version than this
// program knows is refused (500 naming both versions) and left untouched. A migration is never edited once
// released: a change is a new migration at the end of the list (in both dialects).
#pragma once

#include <span>

#include "core/result.h"
#include "relay/pg.h"

namespace quorum::relay::pg_schema {

struct Migration {
  int version;      // its position in the list, from 1
  const char* sql;  // the statements (the version row is written by migrate())
};

std::span<const Migration> migrations();

// The number of migrations applied (0 for an empty database).
pg::Task<Result<int>> version(pg::Pool& pool);
// Applies the migrations the database lacks.
pg::Task<Status> migrate(pg::Pool& pool);

}  // namespace quorum::relay::pg_schema
