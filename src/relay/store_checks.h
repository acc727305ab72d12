// What the Store refuses before touching the database, shared by its files (store*.cpp): each check is a 400
// whose message names the field. Not part of the Store's interface.
#pragma once

#include <initializer_list>
#include <string_view>

#include "core/result.h"

namespace quorum::relay::store_checks {

// 1 to kMaxTextBytes bytes (0 allowed when `may_be_empty`), no ASCII control character.
Status text(std::string_view field, std::string_view value, bool may_be_empty = false);
// Exactly 32 bytes.
Status public_key(std::string_view field, std::string_view key);
// "YYYY-MM-DD" with digits (the month 01-12, the day 01-31).
Status day(std::string_view field, std::string_view value);
// The first failed check of `checks`, or Ok.
Status all(std::initializer_list<Status> checks);

}  // namespace quorum::relay::store_checks
