// The rows of both stores read into the Store's types: the SELECTs of the SQLite store (a sqlite::Statement)
// and of the PostgreSQL store (a pg::Row) list their columns in the order each reader takes them, and both
// row types offer text, integer, optional_integer and blob. Not part of the Store's interface.
#pragma once

#include <cstdint>
#include <utility>

#include "relay/store.h"
#include "relay/store_checks.h"

namespace quorum::relay::store_rows {

// id, note, created_at, used_at, coalesce(cluster_id, ''), revoked_at
template <class Row>
EnrolToken token(const Row& r) {
  return {r.text(0), r.text(1), r.integer(2), r.optional_integer(3), r.text(4), r.optional_integer(5)};
}

// id, name, enrol_public_key, created_at, revoked_at
template <class Row>
Cluster cluster(const Row& r) {
  return {r.text(0), r.text(1), r.blob(2), r.integer(3), r.optional_integer(4)};
}

// id, cluster_id, name, public_key, enrolled_at, revoked_at, last_seen_at
template <class Row>
Node node(const Row& r) {
  return {
      r.text(0), r.text(1), r.text(2), r.blob(3), r.integer(4), r.optional_integer(5), r.optional_integer(6)};
}

// id, cluster_id, name, secret_hash, models, rpm, tpm, max_parallel, expires_at, created_at, last_used_at,
// revoked_at (a damaged model list fails the read: store_checks::models_from_json)
template <class Row>
Result<ApiKey> key(const Row& r) {
  ApiKey key;
  key.id = r.text(0);
  key.cluster_id = r.text(1);
  key.name = r.text(2);
  key.secret_hash = r.text(3);
  auto models = store_checks::models_from_json(r.text(4), key.id);
  if (!models) return models.take_error();
  key.models = std::move(*models);
  key.limits = {static_cast<uint64_t>(r.integer(5)), static_cast<uint64_t>(r.integer(6)),
                static_cast<uint64_t>(r.integer(7))};
  key.expires_at = r.optional_integer(8);
  key.created_at = r.integer(9);
  key.last_used_at = r.optional_integer(10);
  key.revoked_at = r.optional_integer(11);
  return key;
}

// day, cluster_id, key_id, node_id, model, requests, failed, prompt_tokens, completion_tokens
template <class Row>
UsageRecord usage(const Row& r) {
  return {r.text(0),
          r.text(1),
          r.text(2),
          r.text(3),
          r.text(4),
          static_cast<uint64_t>(r.integer(5)),
          static_cast<uint64_t>(r.integer(6)),
          static_cast<uint64_t>(r.integer(7)),
          static_cast<uint64_t>(r.integer(8))};
}

}  // namespace quorum::relay::store_rows
