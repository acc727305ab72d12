// What is particular to the PostgreSQL store and to moving between the two: a server down at start, a
// connection lost mid-run, a database newer than the program, an existing SQLite file, the password kept out
// of messages, and `quorum-relay migrate` (store_copy.h). The behaviour both share is in store_*_test.cpp,
// run on both.
#include <gtest/gtest.h>

#include "cluster/signing_key.h"
#include "relay/pg.h"
#include "relay/pg_schema.h"
#include "relay/sqlite.h"
#include "relay/store_copy.h"
#include "relay/store_schema.h"
#include "store_test_support.h"

namespace quorum::relay {
namespace {

using testing::Backend;
using testing::ok;
using testing::StoreTest;
using testing::TempDir;

// The PostgreSQL variant of StoreTest only.
class PgStoreTest : public StoreTest {};
INSTANTIATE_TEST_SUITE_P(Backends, PgStoreTest, ::testing::Values(Backend::postgres), testing::backend_name);

TEST(PgStore, AServerThatIsDownAtStartIsA503) {
  TempDir tmp;  // no server listens here
  SyncLoop loop;
  auto store =
      loop.run(open_store("postgresql:///quorum?host=" + tmp.path() + "&user=quorum&password=hunter2",
                          tmp.path(), loop.executor()));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().status, 503) << store.error().message;
  EXPECT_EQ(store.error().message.find("hunter2"), std::string::npos) << store.error().message;
}

TEST(PgStore, TheDatabaseUrlIsLoggedWithoutItsPassword) {
  EXPECT_EQ(redacted_database("postgres://relay:s3cret@db.example:5432/quorum"),
            "postgres://relay:***@db.example:5432/quorum");
  EXPECT_EQ(redacted_database("postgresql://relay@db/quorum?password=s3cret&sslmode=require"),
            "postgresql://relay@db/quorum?password=***&sslmode=require");
  EXPECT_EQ(redacted_database("postgres:///quorum?host=/run/pg"), "postgres:///quorum?host=/run/pg");
  EXPECT_TRUE(is_postgres_url("postgres://x/y"));
  EXPECT_TRUE(is_postgres_url("postgresql:///y"));
  EXPECT_FALSE(is_postgres_url("/var/lib/quorum-relay"));
}

TEST(PgStore, BothDialectsHaveTheSameMigrations) {
  EXPECT_EQ(pg_schema::migrations().size(), schema_migrations().size());
  int expected = 0;
  for (const auto& m : pg_schema::migrations()) EXPECT_EQ(m.version, ++expected);
}

// The server ends every connection of the relay (a restart, a failover): the calls after it fail with 503 or
// succeed on a new connection, the store never crashes, and it works again by itself.
TEST_P(PgStoreTest, ALostConnectionIsA503AndThePoolConnectsAgain) {
  add_cluster("c1");
  ASSERT_TRUE(store().cluster("c1").ok());
  auto killed = raw("",
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  ASSERT_EQ(killed.size(), 1u);
  EXPECT_NE(killed[0][0], "0");
  bool worked = false;
  for (int attempt = 0; attempt < 3 && !worked; ++attempt) {
    auto found = store().cluster("c1");
    if (found.ok()) {
      worked = found->has_value();
    } else {
      EXPECT_EQ(found.error().status, 503) << found.error().message;
    }
  }
  EXPECT_TRUE(worked);
  EXPECT_TRUE(ok(store().create_key("c1", "after", {})).starts_with("qk_"));
}

TEST_P(PgStoreTest, ADatabaseFromANewerRelayIsRefusedAndLeftAlone) {
  raw("", "INSERT INTO quorum_schema_version (version, applied_at) VALUES (99, 0)");
  auto reopened = SyncStore::open(database(), dir());
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.error().status, 500);
  EXPECT_NE(reopened.error().message.find("newer"), std::string::npos) << reopened.error().message;
  EXPECT_EQ(raw("", "SELECT max(version) FROM quorum_schema_version")[0][0], "99");
}

// A relay.db made before migrations had a number (schema version 1, written by today's release) opens, and
// what it holds is read back.
TEST(Store, AnExistingRelayDbOpensWithItsData) {
  TempDir tmp;
  const std::string key = cluster::SigningKey::generate().public_key();
  {
    auto db = sqlite::Database::open(tmp.path() + "/relay.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->exec(schema_migrations()[0].sql).ok());
    ASSERT_TRUE(
        sqlite::run(**db,
                    "INSERT INTO clusters (id, name, enrol_public_key, created_at) VALUES ('c1', 'home', "
                    "?1, 1700000000)",
                    sqlite::Blob{key})
            .ok());
  }
  auto store = SyncStore::open("", tmp.path());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(ok((*store)->schema_version()), latest_schema_version());
  auto c = ok((*store)->cluster("c1"));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->name, "home");
  EXPECT_EQ(c->enrol_public_key, key);
}

// `quorum-relay migrate`: every table, every row, as it was; and never into a database that holds rows.
TEST_P(PgStoreTest, MigrateCopiesEveryTableIntoAnEmptyDatabaseOnly) {
  TempDir tmp;
  std::string key_text, token_text;
  {
    auto sqlite = SyncStore::open("", tmp.path(), [this] { return now_; });
    ASSERT_TRUE(sqlite.ok()) << sqlite.error().message;
    auto& s = **sqlite;
    Cluster c{"c1", "home", cluster::SigningKey::generate().public_key()};
    ASSERT_TRUE(ok(s.add_cluster(c)));
    Node n{"n1", "c1", "gpu box", cluster::SigningKey::generate().public_key()};
    ASSERT_EQ(ok(s.enrol_node(n)), EnrolResult::enrolled);
    const int64_t session = ok(s.session_opened("n1"));
    ASSERT_TRUE(ok(s.session_closed(session, "closed")));
    key_text = ok(s.create_key("c1", "ci", {.rpm = 60}, {"llama3"}));
    token_text = ok(s.create_enrol_token("for the office"));
    ASSERT_TRUE(s.record_usage({utc_day(now_), "c1", "", "n1", "llama3", 1, 0, 10, 20}).ok());
  }
  // The fixture's database is already migrated (empty tables): the copy goes there.
  SyncLoop loop;
  auto report = loop.run(copy_sqlite_to_postgres(tmp.path(), database(), loop.executor()));
  ASSERT_TRUE(report.ok()) << report.error().message;
  int64_t total = 0;
  for (const auto& [table, rows] : report->tables) total += rows;
  EXPECT_EQ(report->tables.size(), 12u);
  EXPECT_EQ(total, 6);  // a row in each table of version 1

  reopen();
  EXPECT_EQ(ok(store().cluster("c1"))->name, "home");
  EXPECT_EQ(ok(store().node("n1"))->name, "gpu box");
  auto check = ok(store().check_key(key_text));
  EXPECT_EQ(check.verdict, KeyVerdict::ok);
  EXPECT_EQ(check.key->models, std::vector<std::string>{"llama3"});
  EXPECT_TRUE(ok(store().redeem_enrol_token(token_text, "c2")));
  auto usage = ok(store().usage("c1", "0000-00-00", "9999-99-99"));
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].completion_tokens, 20u);
  // New sessions get ids after the copied ones.
  EXPECT_GT(ok(store().session_opened("n1")), 1);

  auto again = loop.run(copy_sqlite_to_postgres(tmp.path(), database(), loop.executor()));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().status, 409);
  EXPECT_NE(again.error().message.find("not empty"), std::string::npos) << again.error().message;
}

TEST(Store, MigrateRefusesAMissingSqliteFile) {
  TempDir tmp;
  SyncLoop loop;
  auto report = loop.run(copy_sqlite_to_postgres(tmp.path() + "/nothing", "postgres:///x", loop.executor()));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().status, 404);
}

}  // namespace
}  // namespace quorum::relay
