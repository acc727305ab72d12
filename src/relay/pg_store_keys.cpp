// The PostgreSQL store's API keys and daily usage (pg_store.h), as the SQLite store's (store_keys.cpp,
// store_usage.cpp).
#include "auth/api_key.h"
#include "relay/pg_store.h"
#include "relay/pg_store_support.h"
#include "relay/store_checks.h"
#include "relay/store_rows.h"

namespace quorum::relay {

namespace checks = store_checks;
using pg_support::changed_one;
using pg_support::params;
using pg_support::transaction;

namespace {

constexpr const char* kKeyColumns =
    "SELECT id, cluster_id, name, secret_hash, models, rpm, tpm, max_parallel, expires_at, created_at, "
    "last_used_at, revoked_at FROM api_keys ";

// `column` + EXCLUDED.`column`, saturating at the largest BIGINT (both are at least 0), as in SQLite.
#define SATURATING_SUM(column)                                                \
  "CASE WHEN usage_daily." column " > 9223372036854775807 - EXCLUDED." column \
  " THEN 9223372036854775807 ELSE usage_daily." column " + EXCLUDED." column " END"

// Every record of a call in one statement (one round trip, however many rows): the columns arrive as arrays,
// rows of the same day, cluster, key, node and model are summed first (ON CONFLICT may touch a row only once
// per statement), in key order (so that two relays writing the same rows never wait on each other in a
// cycle), and each sum saturates at the largest BIGINT, as in SQLite.
constexpr const char* kAddUsage =
    "INSERT INTO usage_daily (day, cluster_id, key_id, node_id, model, requests, failed, prompt_tokens, "
    "completion_tokens) "
    "SELECT day, cluster_id, key_id, node_id, model, LEAST(sum(requests), 9223372036854775807)::bigint, "
    "LEAST(sum(failed), 9223372036854775807)::bigint, LEAST(sum(prompt_tokens), 9223372036854775807)::bigint, "
    "LEAST(sum(completion_tokens), 9223372036854775807)::bigint "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], "
    "$8::bigint[], $9::bigint[]) "
    "AS u(day, cluster_id, key_id, node_id, model, requests, failed, prompt_tokens, completion_tokens) "
    "GROUP BY day, cluster_id, key_id, node_id, model "
    "ORDER BY day COLLATE \"C\", cluster_id COLLATE \"C\", key_id COLLATE \"C\", node_id COLLATE \"C\", "
    "model COLLATE \"C\" "
    "ON CONFLICT (day, cluster_id, key_id, node_id, model) DO UPDATE SET "
    "requests = " SATURATING_SUM("requests") ", "
    "failed = " SATURATING_SUM("failed") ", "
    "prompt_tokens = " SATURATING_SUM("prompt_tokens") ", "
    "completion_tokens = " SATURATING_SUM("completion_tokens");

#undef SATURATING_SUM

}  // namespace

StoreTask<std::string> PgStore::create_key(std::string_view cluster_id, std::string_view name,
                                           const KeyLimits& limits, const std::vector<std::string>& models,
                                           std::optional<UnixSeconds> expires_at) {
  if (auto ok = checks::new_key(cluster_id, name, models); !ok) co_return ok.take_error();
  const std::string models_text = checks::models_json(models);
  const UnixSeconds now = clock_();
  co_return co_await transaction<std::string>(*pool_, [&](pg::Lease& c) -> pg::Task<Result<std::string>> {
    auto live = co_await c->query("SELECT 1 FROM clusters WHERE id = $1 AND revoked_at IS NULL FOR SHARE",
                                  params(cluster_id));
    if (!live) co_return live.take_error();
    if (live->rows.empty())
      co_return ApiError::not_found("no cluster " + std::string(cluster_id), "cluster_id");
    for (int attempt = 0; attempt < checks::kIdAttempts; ++attempt) {
      auto key = api_key::generate(api_key::Kind::key);
      auto added = co_await c->query(
          "INSERT INTO api_keys (id, cluster_id, name, secret_hash, models, rpm, tpm, max_parallel, "
          "expires_at, "
          "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
          params(key.id, cluster_id, name, key.secret_hash, models_text, limits.rpm, limits.tpm,
                 limits.max_parallel, expires_at, now));
      if (!added) co_return added.take_error();
      if (added->affected == 1) co_return std::move(key.text);
    }
    co_return ApiError::server(
        500, "relay database: no free key id after " + std::to_string(checks::kIdAttempts) + " draws",
        "database_error");
  });
}

StoreTask<std::optional<ApiKey>> PgStore::find_key(std::string_view id) {
  std::string sql = std::string(kKeyColumns) + "WHERE id = $1";
  co_return co_await pg_support::first_row<ApiKey>(*pool_, std::move(sql), params(id),
                                                   store_rows::key<pg::Row>);
}

StoreTask<std::vector<ApiKey>> PgStore::keys_of(std::string_view cluster_id) {
  std::string sql = std::string(kKeyColumns) + "WHERE cluster_id = $1 ORDER BY created_at, id COLLATE \"C\"";
  co_return co_await pg_support::rows<ApiKey>(*pool_, std::move(sql), params(cluster_id),
                                              store_rows::key<pg::Row>);
}

StoreTask<bool> PgStore::revoke_key(std::string_view cluster_id, std::string_view id) {
  co_return co_await changed_one(
      *pool_, "UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2 AND cluster_id = $3",
      params(clock_(), id, cluster_id));
}

StoreTask<std::vector<KeyHash>> PgStore::key_hashes_of(std::string_view cluster_id) {
  auto keys = co_await keys_of(cluster_id);
  if (!keys) co_return keys.take_error();
  co_return checks::key_hashes(std::move(*keys));
}

StoreTask<bool> PgStore::touch_key(std::string_view id, UnixSeconds at) {
  co_return co_await pg_support::touch(*pool_,
                                       "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND "
                                       "(last_used_at IS NULL OR last_used_at <= $1::bigint - $3::bigint)",
                                       "SELECT 1 FROM api_keys WHERE id = $1", id, at);
}

StoreTask<KeyCheck> PgStore::check_key(std::string_view text) {
  auto parsed = api_key::parse(text, api_key::Kind::key);
  if (!parsed) co_return KeyCheck{KeyVerdict::malformed, std::nullopt};
  auto key = co_await find_key(parsed->id);
  if (!key) co_return key.take_error();
  co_return checks::verdict(std::move(*key), parsed->secret, clock_());
}

StoreTask<Ok> PgStore::record_usage(std::span<const UsageRecord> records) {
  for (const auto& r : records) {
    if (auto ok = checks::usage_record(r); !ok) co_return ok;
  }
  if (records.empty()) co_return Ok{};
  std::vector<std::string_view> days, clusters, keys, nodes, models;
  std::vector<uint64_t> requests, failed, prompt_tokens, completion_tokens;
  for (const auto& r : records) {
    days.push_back(r.day);
    clusters.push_back(r.cluster_id);
    keys.push_back(r.key_id);
    nodes.push_back(r.node_id);
    models.push_back(r.model);
    requests.push_back(r.requests);
    failed.push_back(r.failed);
    prompt_tokens.push_back(r.prompt_tokens);
    completion_tokens.push_back(r.completion_tokens);
  }
  std::vector<pg::Param> columns{
      pg::text_array(days),      pg::text_array(clusters),         pg::text_array(keys),
      pg::text_array(nodes),     pg::text_array(models),           pg::integer_array(requests),
      pg::integer_array(failed), pg::integer_array(prompt_tokens), pg::integer_array(completion_tokens)};
  auto added = co_await pool_->query(kAddUsage, std::move(columns));
  if (!added) co_return added.take_error();
  co_return Ok{};
}

StoreTask<std::vector<UsageRecord>> PgStore::usage(std::string_view cluster_id, std::string_view from_day,
                                                   std::string_view to_day) {
  if (auto ok = checks::all({checks::day("from", from_day, false), checks::day("to", to_day, false)}); !ok)
    co_return ok.take_error();
  co_return co_await pg_support::rows<UsageRecord>(
      *pool_,
      "SELECT day, cluster_id, key_id, node_id, model, requests, failed, prompt_tokens, completion_tokens "
      "FROM usage_daily WHERE cluster_id = $1 AND day COLLATE \"C\" BETWEEN $2 AND $3 "
      "ORDER BY day COLLATE \"C\", key_id COLLATE \"C\", node_id COLLATE \"C\", model COLLATE \"C\"",
      params(cluster_id, from_day, to_day), store_rows::usage<pg::Row>);
}

}  // namespace quorum::relay
