#include "relay/store_schema.h"

#include <array>
#include <cstdint>
#include <string>

namespace quorum::relay {

namespace {

// Version 1: enrolment tokens, clusters, nodes and their sessions, API keys, daily usage. Times are Unix
// seconds; keys and tokens keep only SHA-256 of their secret (api_key.h). STRICT tables refuse a value of the
// wrong type instead of converting it.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE enrol_tokens (
  id          TEXT PRIMARY KEY NOT NULL,
  secret_hash TEXT NOT NULL,
  note        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  used_at     INTEGER,
  cluster_id  TEXT,     -- the cluster the token enrolled, once used
  revoked_at  INTEGER
) STRICT;

CREATE TABLE clusters (
  id               TEXT PRIMARY KEY NOT NULL,   -- the cluster fingerprint
  name             TEXT NOT NULL,
  enrol_public_key BLOB NOT NULL CHECK (length(enrol_public_key) = 32),
  created_at       INTEGER NOT NULL,
  revoked_at       INTEGER
) STRICT;

CREATE TABLE nodes (
  id           TEXT PRIMARY KEY NOT NULL,
  cluster_id   TEXT NOT NULL REFERENCES clusters (id),
  name         TEXT NOT NULL,
  public_key   BLOB NOT NULL CHECK (length(public_key) = 32),
  enrolled_at  INTEGER NOT NULL,
  revoked_at   INTEGER,
  last_seen_at INTEGER
) STRICT;
CREATE INDEX nodes_by_cluster ON nodes (cluster_id);

CREATE TABLE node_sessions (
  id              INTEGER PRIMARY KEY,
  node_id         TEXT NOT NULL REFERENCES nodes (id),
  connected_at    INTEGER NOT NULL,
  disconnected_at INTEGER,
  reason          TEXT
) STRICT;
CREATE INDEX node_sessions_by_node ON node_sessions (node_id, connected_at);
CREATE INDEX node_sessions_open ON node_sessions (disconnected_at) WHERE disconnected_at IS NULL;

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY NOT NULL,
  cluster_id   TEXT NOT NULL REFERENCES clusters (id),
  name         TEXT NOT NULL,
  secret_hash  TEXT NOT NULL,
  models       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(models) AND json_type(models) = 'array'),
  rpm          INTEGER NOT NULL DEFAULT 0 CHECK (rpm >= 0),
  tpm          INTEGER NOT NULL DEFAULT 0 CHECK (tpm >= 0),
  max_parallel INTEGER NOT NULL DEFAULT 0 CHECK (max_parallel >= 0),
  expires_at   INTEGER,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
) STRICT;
CREATE INDEX api_keys_by_cluster ON api_keys (cluster_id);

CREATE TABLE usage_daily (
  day               TEXT NOT NULL,      -- YYYY-MM-DD, UTC
  cluster_id        TEXT NOT NULL REFERENCES clusters (id),
  key_id            TEXT NOT NULL,      -- '' for node-to-node traffic
  node_id           TEXT NOT NULL,
  model             TEXT NOT NULL,
  requests          INTEGER NOT NULL,
  failed            INTEGER NOT NULL,
  prompt_tokens     INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  PRIMARY KEY (day, cluster_id, key_id, node_id, model)
) STRICT, WITHOUT ROWID;
CREATE INDEX usage_by_cluster_day ON usage_daily (cluster_id, day);

PRAGMA user_version = 1;
)sql";

// Version 2: the relays sharing this database (mesh_registry.h) and their shared secret (one row). The
// secret is kept as it is: relays sign with it, so it cannot be a hash.
constexpr const char* kVersion2 = R"sql(
CREATE TABLE relays (
  id           TEXT PRIMARY KEY NOT NULL,
  url          TEXT NOT NULL,
  started_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
) STRICT;

CREATE TABLE mesh (
  id     INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
  secret TEXT NOT NULL
) STRICT;

PRAGMA user_version = 2;
)sql";

// Version 3: the dashboard's accounts (docs/dashboard-api.md): users (an argon2id password hash, or none:
// sign-in links only), their roles in clusters, web sessions and one-time sign-in links and invites (SHA-256
// of their secret only), and the audit log of what was done to a cluster.
constexpr const char* kVersion3 = R"sql(
CREATE TABLE users (
  id            TEXT PRIMARY KEY NOT NULL,
  email         TEXT NOT NULL UNIQUE,      -- lowercased
  password_hash TEXT,                      -- crypto_pwhash_str (argon2id); NULL: no password
  is_operator   INTEGER NOT NULL DEFAULT 0 CHECK (is_operator IN (0, 1)),
  created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
  cluster_id TEXT NOT NULL REFERENCES clusters (id),
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (cluster_id, user_id)
) STRICT;
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE web_sessions (
  id_hash      TEXT PRIMARY KEY NOT NULL,  -- SHA-256 of the cookie's value
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL
) STRICT;
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);

CREATE TABLE sign_in_links (
  token_hash TEXT PRIMARY KEY NOT NULL,    -- SHA-256 of the token
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
) STRICT;

CREATE TABLE invites (
  id         TEXT PRIMARY KEY NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,         -- SHA-256 of the token
  cluster_id TEXT NOT NULL REFERENCES clusters (id),
  role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
  email      TEXT NOT NULL,                -- '' for anyone holding the link
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER,
  revoked_at INTEGER
) STRICT;
CREATE INDEX invites_by_cluster ON invites (cluster_id);

CREATE TABLE audit_log (
  id         INTEGER PRIMARY KEY,
  cluster_id TEXT NOT NULL REFERENCES clusters (id),
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,                -- an email, "cli" or "node:<id>"
  action     TEXT NOT NULL,
  object     TEXT NOT NULL,
  detail     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
) STRICT;
CREATE INDEX audit_by_cluster ON audit_log (cluster_id, id);

PRAGMA user_version = 3;
)sql";

constexpr std::array kMigrations = {
    Migration{1, kVersion1},
    Migration{2, kVersion2},
    Migration{3, kVersion3},
};

}  // namespace

std::span<const Migration> schema_migrations() {
  return kMigrations;
}

Result<int> schema_version(sqlite::Database& db) {
  auto version = sqlite::first_row<int64_t>(db, "PRAGMA user_version",
                                            [](const sqlite::Statement& st) { return st.integer(0); });
  if (!version) return version.take_error();
  return static_cast<int>(version->value_or(0));
}

Status migrate(sqlite::Database& db) {
  for (const Migration& m : schema_migrations()) {
    // The version is read again inside the write transaction: another process may have migrated meanwhile.
    sqlite::Transaction tx(db);
    if (auto begun = tx.begin(); !begun) return begun;
    auto version = schema_version(db);
    if (!version) return version.take_error();
    if (*version > latest_schema_version()) {
      return ApiError::server(500,
                              "relay database: schema version " + std::to_string(*version) +
                                  " is newer than this quorum-relay knows (" +
                                  std::to_string(latest_schema_version()) + "); run a newer quorum-relay",
                              "database_error");
    }
    if (*version >= m.version) continue;
    if (auto applied = db.exec(m.sql); !applied) return applied;
    auto after = schema_version(db);
    if (!after) return after.take_error();
    if (*after != m.version) {
      return ApiError::server(
          500, "relay database: migration " + std::to_string(m.version) + " did not set user_version",
          "database_error");
    }
    if (auto committed = tx.commit(); !committed) return committed;
  }
  return Ok{};
}

}  // namespace quorum::relay
