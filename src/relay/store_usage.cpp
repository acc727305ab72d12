// The SQLite store's daily usage (sqlite_store.h): counts added to one row per (day, cluster, key, node,
// model).
#include <ctime>

#include "relay/sqlite.h"
#include "relay/sqlite_store.h"
#include "relay/store_checks.h"
#include "relay/store_rows.h"

namespace quorum::relay {

namespace checks = store_checks;

std::string utc_day(UnixSeconds t) {
  const std::time_t time = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d", &tm);
  return buffer;
}

// `column` + excluded.`column`, or the largest integer when that would overflow (both are at least 0). A
// macro so that the statement stays one literal.
#define SATURATING_SUM(column)                                                                             \
  "CASE WHEN " column " > 9223372036854775807 - excluded." column " THEN 9223372036854775807 ELSE " column \
  " + excluded." column " END"

// Sums saturate at SQLite's largest integer: an overflow would turn the sum into a REAL, which the STRICT
// table refuses, and the whole batch with it.
Status SqliteStore::add_usage(const UsageRecord& r) {
  return sqlite::run(*db_,
                     "INSERT INTO usage_daily (day, cluster_id, key_id, node_id, model, requests, failed, "
                     "prompt_tokens, completion_tokens) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                     "ON CONFLICT (day, cluster_id, key_id, node_id, model) DO UPDATE SET "
                     "requests = " SATURATING_SUM("requests") ", "
                     "failed = " SATURATING_SUM("failed") ", "
                     "prompt_tokens = " SATURATING_SUM("prompt_tokens") ", "
                     "completion_tokens = " SATURATING_SUM("completion_tokens"),
                     r.day, r.cluster_id, r.key_id, r.node_id, r.model, r.requests, r.failed, r.prompt_tokens,
                     r.completion_tokens);
}

#undef SATURATING_SUM

Status SqliteStore::record_usage(const UsageRecord& record) {
  return record_usage(std::span<const UsageRecord>(&record, 1));
}

Status SqliteStore::record_usage(std::span<const UsageRecord> records) {
  for (const auto& r : records) {
    if (auto ok = checks::usage_record(r); !ok) return ok;
  }
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(*db_);
  if (auto begun = tx.begin(); !begun) return begun;
  for (const auto& r : records) {
    if (auto added = add_usage(r); !added) return added;
  }
  return tx.commit();
}

Result<std::vector<UsageRecord>> SqliteStore::usage(std::string_view cluster_id, std::string_view from_day,
                                                    std::string_view to_day) {
  if (auto ok = checks::all({checks::day("from", from_day, false), checks::day("to", to_day, false)}); !ok)
    return ok.take_error();
  std::lock_guard lock(mutex_);
  return sqlite::rows<UsageRecord>(*db_,
                                   "SELECT day, cluster_id, key_id, node_id, model, requests, failed, "
                                   "prompt_tokens, completion_tokens FROM usage_daily "
                                   "WHERE cluster_id = ?1 AND day BETWEEN ?2 AND ?3 "
                                   "ORDER BY day, key_id, node_id, model",
                                   store_rows::usage<sqlite::Statement>, cluster_id, from_day, to_day);
}

}  // namespace quorum::relay
