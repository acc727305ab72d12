// The relay database's schema, as an ordered list of migrations. PRAGMA user_version is the number of
// migrations applied; opening a database applies the missing ones, each in its own transaction, so a
// database of any earlier version (or a new, empty one) ends at the latest and a current one is left alone.
// A migration is never edited once released: a change is a new migration at the end of the list.
//
// No column holds prompt or completion text (or any request or response body): usage is counts only.
#pragma once

#include <span>

#include "core/result.h"
#include "relay/sqlite.h"

namespace quorum::relay {

struct Migration {
  int version;      // the user_version after it: its position in the list, from 1
  const char* sql;  // the statements; the last one sets PRAGMA user_version to `version`
};

std::span<const Migration> schema_migrations();
inline int latest_schema_version() {
  return static_cast<int>(schema_migrations().size());
}

// PRAGMA user_version of `db`.
Result<int> schema_version(sqlite::Database& db);
// Applies the migrations `db` lacks. A database of a later version than this program knows is refused (500
// naming both versions) and left untouched.
Status migrate(sqlite::Database& db);

}  // namespace quorum::relay
