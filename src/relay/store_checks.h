// What both stores (SQLite and PostgreSQL) refuse before touching the database, and what they share about
// keys: each check is a 400 whose message names the field. Not part of the Store's interface.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// What create_key() requires: a cluster id, a key name, at most 256 well-formed model names.
Status new_key(std::string_view cluster_id, std::string_view name, const std::vector<std::string>& models);
// The draws of a new key id before giving up (a 71-bit random id collides essentially never).
inline constexpr int kIdAttempts = 3;

// What the relay sends a cluster's nodes of its keys (Store::key_hashes_of).
std::vector<KeyHash> key_hashes(std::vector<ApiKey> keys);
// check_key()'s answer for the key found under the bearer key's id (nullopt: none), its secret and now.
KeyCheck verdict(std::optional<ApiKey> key, std::string_view secret, UnixSeconds now);

// The models a key may use, as stored: a JSON array of strings.
std::string models_json(const std::vector<std::string>& models);
// A damaged list fails the read (500 naming the key): read as "every model", it would widen what the key may
// do.
Result<std::vector<std::string>> models_from_json(std::string_view text, std::string_view key_id);

}  // namespace quorum::relay::store_checks
