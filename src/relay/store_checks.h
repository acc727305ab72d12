// What the Store refuses before touching the database, shared by its files (store*.cpp): each check is a 400
// whose message names the field. Not part of the Store's interface.
#pragma once

#include <initializer_list>
#include <string_view>

#include "core/result.h"
#include "relay/store.h"

namespace quorum::relay::store_checks {

// 1 to kMaxTextBytes bytes (0 allowed when `may_be_empty`), no ASCII control character.
Status text(std::string_view field, std::string_view value, bool may_be_empty = false);
// Exactly 32 bytes.
Status public_key(std::string_view field, std::string_view key);
// "YYYY-MM-DD" with digits; when `calendar`, also the month 01-12 and the day 01-31 (a day a record is for,
// not a bound of a range).
Status day(std::string_view field, std::string_view value, bool calendar = true);
// What record_usage() requires of a record: a calendar day, a cluster, node and model id, a key id or "".
Status usage_record(const UsageRecord& record);
// The first failed check of `checks`, or Ok.
Status all(std::initializer_list<Status> checks);

}  // namespace quorum::relay::store_checks
