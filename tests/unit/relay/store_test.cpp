// The Store's file, schema, enrolment tokens and clusters. Nodes and sessions: store_nodes_test.cpp; keys:
// store_keys_test.cpp; usage: store_usage_test.cpp.
#include "relay/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "auth/api_key.h"
#include "relay/pg.h"
#include "relay/pg_schema.h"
#include "relay/sqlite.h"
#include "relay/store_schema.h"
#include "store_test_support.h"

namespace quorum::relay {
namespace {

using testing::ok;
using testing::StoreTest;
using testing::TempDir;

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(testing::Backend::sqlite, testing::Backend::postgres),
                         testing::backend_name);

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST_P(StoreTest, TheDirectoryAndEveryDatabaseFileAreTheOwnersOnly) {
  if (postgres()) GTEST_SKIP() << "SQLite's files only";
  ASSERT_TRUE(store().create_enrol_token("first").ok());  // a write: the WAL file now exists
  EXPECT_EQ(mode_of(dir()), 0700u);
  EXPECT_EQ(mode_of(dir() + "/relay.db"), 0600u);
  EXPECT_EQ(mode_of(dir() + "/relay.db-wal"), 0600u);
  EXPECT_EQ(mode_of(dir() + "/relay.db-shm"), 0600u);
}

TEST(Store, AnExistingDatabaseFileIsMadeOwnerOnly) {
  TempDir tmp;
  { std::ofstream(tmp.path() + "/relay.db"); }
  ASSERT_EQ(::chmod((tmp.path() + "/relay.db").c_str(), 0644), 0);
  auto store = SyncStore::open("", tmp.path());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(mode_of(tmp.path() + "/relay.db"), 0600u);
}

TEST(Store, APathThatIsAFileIsRefused) {
  TempDir tmp;
  { std::ofstream(tmp.path() + "/file"); }
  auto store = SyncStore::open("", tmp.path() + "/file");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().status, 500);
  EXPECT_NE(store.error().message.find("not a directory"), std::string::npos) << store.error().message;
}

TEST_P(StoreTest, ReopeningKeepsEverything) {
  auto c = add_cluster("c1", "home lab");
  auto n = enrol("n1", "c1", "gpu box");
  auto key = store().create_key("c1", "ci", {.rpm = 60}, {"llama3"});
  ASSERT_TRUE(key.ok());
  auto token = store().create_enrol_token("for the office");
  ASSERT_TRUE(token.ok());
  ASSERT_TRUE(store().record_usage({utc_day(now_), "c1", "", "n1", "llama3", 1, 0, 10, 20}).ok());

  reopen();
  auto cluster = store().cluster("c1");
  ASSERT_TRUE(cluster.ok() && *cluster);
  EXPECT_EQ((*cluster)->name, "home lab");
  EXPECT_EQ((*cluster)->enrol_public_key, c.enrol_public_key);
  auto node = store().node("n1");
  ASSERT_TRUE(node.ok() && *node);
  EXPECT_EQ((*node)->public_key, n.public_key);
  auto check = store().check_key(*key);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->verdict, KeyVerdict::ok);
  EXPECT_EQ(check->key->limits.rpm, 60u);
  auto redeemed = store().redeem_enrol_token(*token, "c2");
  ASSERT_TRUE(redeemed.ok());
  EXPECT_TRUE(*redeemed);
  auto usage = store().usage("c1", "2023-01-01", "2023-12-31");
  ASSERT_TRUE(usage.ok());
  ASSERT_EQ(usage->size(), 1u);
  EXPECT_EQ((*usage)[0].completion_tokens, 20u);
}

TEST_P(StoreTest, MigrationsRunOnceAndReopeningChangesNothing) {
  auto version = store().schema_version();
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, latest_schema_version());
  EXPECT_GE(latest_schema_version(), 1);
  add_cluster("c1");
  reopen();
  reopen();
  EXPECT_EQ(ok(store().schema_version()), latest_schema_version());
  EXPECT_TRUE(store().cluster("c1")->has_value());

  // Straight on the database: migrating a migrated database does nothing, and says so without error.
  if (postgres()) {
    SyncLoop loop;
    pg::Pool pool(loop.executor(), database(), 1);
    EXPECT_TRUE(loop.run(pg_schema::migrate(pool)).ok());
    EXPECT_TRUE(loop.run(pg_schema::migrate(pool)).ok());
    EXPECT_EQ(ok(loop.run(pg_schema::version(pool))), latest_schema_version());
    EXPECT_EQ(raw("", "SELECT count(*) FROM quorum_schema_version")[0][0],
              std::to_string(latest_schema_version()));
    return;
  }
  auto db = sqlite::Database::open(dir() + "/relay.db");
  ASSERT_TRUE(db.ok());
  EXPECT_TRUE(migrate(**db).ok());
  EXPECT_TRUE(migrate(**db).ok());
  EXPECT_EQ(ok(schema_version(**db)), latest_schema_version());
}

TEST(StoreSchema, EachMigrationSetsItsOwnVersion) {
  TempDir tmp;
  auto db = sqlite::Database::open(tmp.path() + "/m.db");
  ASSERT_TRUE(db.ok());
  int expected = 0;
  for (const Migration& m : schema_migrations()) {
    EXPECT_EQ(m.version, ++expected);
    ASSERT_TRUE((*db)->exec(m.sql).ok()) << m.version;
    EXPECT_EQ(ok(schema_version(**db)), m.version);
  }
}

TEST(Store, ADatabaseFromANewerRelayIsRefusedAndLeftAlone) {
  TempDir tmp;
  {
    auto db = sqlite::Database::open(tmp.path() + "/relay.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->exec("PRAGMA user_version = 99").ok());
  }
  auto store = SyncStore::open("", tmp.path());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("newer"), std::string::npos) << store.error().message;
  auto db = sqlite::Database::open(tmp.path() + "/relay.db");
  EXPECT_EQ(ok(schema_version(**db)), 99);
}

// The schema has no place for content: whatever column is about prompts, completions, messages or bodies is
// a count.
TEST_P(StoreTest, NoColumnCanHoldPromptOrCompletionText) {
  if (postgres()) {
    auto columns = raw("",
                       "SELECT table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = 'public'",
                       {}, 3);
    int counted = 0;
    for (const auto& c : columns) {
      for (const char* word : {"prompt", "completion", "message", "content", "body", "response", "text"}) {
        if (c[1].find(word) == std::string::npos) continue;
        EXPECT_EQ(c[2], "bigint") << c[0] << "." << c[1];
        ++counted;
      }
    }
    EXPECT_EQ(counted, 2);  // usage_daily.prompt_tokens and completion_tokens
    return;
  }
  auto db = sqlite::Database::open(dir() + "/relay.db");
  ASSERT_TRUE(db.ok());
  auto tables = sqlite::rows<std::string>(**db, "SELECT name FROM sqlite_schema WHERE type = 'table'",
                                          [](const sqlite::Statement& st) { return st.text(0); });
  ASSERT_TRUE(tables.ok());
  EXPECT_GE(tables->size(), 6u);
  int counted = 0;
  for (const auto& table : *tables) {
    struct Column {
      std::string name, type;
    };
    auto columns = sqlite::rows<Column>(
        **db, "SELECT name, type FROM pragma_table_info(?1)",
        [](const sqlite::Statement& st) {
          return Column{st.text(0), st.text(1)};
        },
        table);
    ASSERT_TRUE(columns.ok());
    for (const auto& c : *columns) {
      for (const char* word : {"prompt", "completion", "message", "content", "body", "response", "text"}) {
        if (c.name.find(word) == std::string::npos) continue;
        EXPECT_EQ(c.type, "INTEGER") << table << "." << c.name;
        ++counted;
      }
    }
  }
  EXPECT_EQ(counted, 2);  // usage_daily.prompt_tokens and completion_tokens
}

// ---- enrolment tokens ----

TEST_P(StoreTest, AnEnrolmentTokenWorksOnceAndRemembersItsCluster) {
  auto token = store().create_enrol_token("office");
  ASSERT_TRUE(token.ok());
  auto parsed = api_key::parse(*token, api_key::Kind::enrol_token);
  ASSERT_TRUE(parsed);

  auto listed = store().list_enrol_tokens();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, parsed->id);
  EXPECT_EQ((*listed)[0].note, "office");
  EXPECT_EQ((*listed)[0].created_at, kStart);
  EXPECT_FALSE((*listed)[0].used_at);

  now_ += 30;
  EXPECT_TRUE(ok(store().redeem_enrol_token(*token, "cluster-a")));
  EXPECT_FALSE(ok(store().redeem_enrol_token(*token, "cluster-a")));
  EXPECT_FALSE(ok(store().redeem_enrol_token(*token, "cluster-b")));
  listed = store().list_enrol_tokens();
  EXPECT_EQ((*listed)[0].used_at, kStart + 30);
  EXPECT_EQ((*listed)[0].cluster_id, "cluster-a");
}

TEST_P(StoreTest, WrongUnknownRevokedAndForeignTokensAreNotRedeemed) {
  auto token = store().create_enrol_token("");
  ASSERT_TRUE(token.ok());
  auto parsed = api_key::parse(*token, api_key::Kind::enrol_token);
  // The right id with another secret (a well-formed token: only the store can tell).
  std::string other_secret = parsed->secret;
  other_secret[0] = other_secret[0] == '1' ? '2' : '1';
  EXPECT_FALSE(ok(store().redeem_enrol_token(
      api_key::compose(api_key::Kind::enrol_token, parsed->id, other_secret), "c")));
  EXPECT_FALSE(ok(store().redeem_enrol_token(api_key::generate(api_key::Kind::enrol_token).text, "c")));
  EXPECT_FALSE(ok(store().redeem_enrol_token("qe_nonsense", "c")));
  EXPECT_FALSE(
      ok(store().redeem_enrol_token(api_key::compose(api_key::Kind::key, parsed->id, parsed->secret), "c")));

  EXPECT_TRUE(ok(store().revoke_enrol_token(parsed->id)));
  EXPECT_FALSE(ok(store().redeem_enrol_token(*token, "c")));
  EXPECT_FALSE(ok(store().revoke_enrol_token("no-such-token")));
  EXPECT_TRUE(ok(store().list_enrol_tokens())[0].revoked_at.has_value());
  EXPECT_FALSE(ok(store().list_enrol_tokens())[0].used_at.has_value());
}

TEST_P(StoreTest, TokensAreStoredHashed) {
  auto token = store().create_enrol_token("n");
  ASSERT_TRUE(token.ok());
  auto parsed = api_key::parse(*token, api_key::Kind::enrol_token);
  auto stored = raw("SELECT secret_hash FROM enrol_tokens WHERE id = ?1",
                    "SELECT secret_hash FROM enrol_tokens WHERE id = $1", {parsed->id});
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0][0], api_key::secret_hash(parsed->secret));
  EXPECT_EQ(token->find(stored[0][0]), std::string::npos);
}

// ---- clusters ----

TEST_P(StoreTest, ClustersAreAddedOnceAndListed) {
  auto c = add_cluster("5e0c9a1f3b7d2e48", "home");
  now_ += 5;
  add_cluster("0000000000000001", "office");
  auto again = store().add_cluster({"5e0c9a1f3b7d2e48", "impostor", std::string(32, 'x')});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  auto found = store().cluster("5e0c9a1f3b7d2e48");
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_EQ((*found)->name, "home");
  EXPECT_EQ((*found)->enrol_public_key, c.enrol_public_key);
  EXPECT_EQ((*found)->created_at, kStart);
  EXPECT_FALSE((*found)->revoked_at);
  EXPECT_FALSE(store().cluster("nope")->has_value());
  auto all = store().list_clusters();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].name, "office");
}

TEST_P(StoreTest, BadClusterArgumentsAreRefusedWith400) {
  const std::string key(32, 'k');
  for (const Cluster& bad : {Cluster{"", "n", key}, Cluster{"c", "", key}, Cluster{"c", "n", key.substr(1)},
                             Cluster{"c", "n", key + "k"}, Cluster{"c", std::string(300, 'n'), key},
                             Cluster{"c", "line\nbreak", key}}) {
    auto added = store().add_cluster(bad);
    ASSERT_FALSE(added.ok());
    EXPECT_EQ(added.error().status, 400) << added.error().message;
  }
  EXPECT_TRUE(store().list_clusters()->empty());
}

TEST_P(StoreTest, RevokingAClusterRevokesItsNodesAndKeys) {
  add_cluster("c1");
  add_cluster("c2");
  enrol("n1", "c1");
  enrol("n2", "c2");
  auto key = store().create_key("c1", "k", {});
  auto other_key = store().create_key("c2", "k", {});
  now_ += 100;
  EXPECT_TRUE(ok(store().revoke_cluster("c1")));
  EXPECT_EQ(ok(store().cluster("c1"))->revoked_at, kStart + 100);
  EXPECT_EQ(ok(store().node("n1"))->revoked_at, kStart + 100);
  EXPECT_EQ(store().check_key(*key)->verdict, KeyVerdict::revoked);
  EXPECT_FALSE(ok(store().node("n2"))->revoked_at);
  EXPECT_EQ(store().check_key(*other_key)->verdict, KeyVerdict::ok);
  // Revoked: nothing new joins it.
  EXPECT_EQ(ok(store().enrol_node({"n3", "c1", "x", std::string(32, 'p')})), EnrolResult::no_cluster);
  EXPECT_EQ(store().create_key("c1", "k2", {}).error().status, 404);
  now_ += 100;
  EXPECT_TRUE(ok(store().revoke_cluster("c1")));
  EXPECT_EQ(ok(store().cluster("c1"))->revoked_at, kStart + 100);
  EXPECT_FALSE(ok(store().revoke_cluster("nope")));
}

TEST_P(StoreTest, InjectionLookingTextIsStoredVerbatim) {
  const std::string name = "x'); DROP TABLE clusters; -- \"quoted\" ?1 %s \\ \xE2\x9C\x93";
  add_cluster(name, name);
  enrol(name + "-node", name, name);
  auto key = store().create_key(name, name, {}, {name});
  ASSERT_TRUE(key.ok()) << key.error().message;
  ASSERT_TRUE(store().create_enrol_token(name).ok());
  ASSERT_TRUE(store().record_usage({utc_day(now_), name, "", name, name, 1, 0, 1, 1}).ok());

  auto cluster = store().cluster(name);
  ASSERT_TRUE(cluster.ok() && *cluster);
  EXPECT_EQ((*cluster)->name, name);
  EXPECT_EQ(ok(store().node(name + "-node"))->name, name);
  auto found = store().check_key(*key);
  EXPECT_EQ(found->key->name, name);
  EXPECT_EQ(found->key->models, std::vector<std::string>{name});
  EXPECT_EQ(ok(store().list_enrol_tokens())[0].note, name);
  EXPECT_EQ(ok(store().usage(name, "2000-01-01", "2100-01-01"))[0].model, name);
  EXPECT_EQ(store().list_clusters()->size(), 1u);
}

}  // namespace
}  // namespace quorum::relay
