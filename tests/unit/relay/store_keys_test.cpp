// The Store's API keys.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "auth/api_key.h"
#include "relay/sqlite.h"
#include "relay/store.h"
#include "store_test_support.h"

namespace quorum::relay {
namespace {

using testing::ok;
using testing::StoreTest;

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_P(StoreTest, ACreatedKeyIsShownOnceAndStoredAsAHash) {
  add_cluster("c1");
  auto text = store().create_key("c1", "ci runner", {.rpm = 60, .tpm = 10000, .max_parallel = 2},
                                 {"llama3", "qwen2.5:7b"}, kStart + 3600);
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto parsed = api_key::parse(*text);
  ASSERT_TRUE(parsed);

  auto key = store().find_key(parsed->id);
  ASSERT_TRUE(key.ok() && *key);
  EXPECT_EQ((*key)->cluster_id, "c1");
  EXPECT_EQ((*key)->name, "ci runner");
  EXPECT_EQ((*key)->secret_hash, api_key::secret_hash(parsed->secret));
  EXPECT_EQ((*key)->models, (std::vector<std::string>{"llama3", "qwen2.5:7b"}));
  EXPECT_EQ((*key)->limits, (KeyLimits{60, 10000, 2}));
  EXPECT_EQ((*key)->expires_at, kStart + 3600);
  EXPECT_EQ((*key)->created_at, kStart);
  EXPECT_FALSE((*key)->last_used_at);
  EXPECT_FALSE((*key)->revoked_at);
  EXPECT_EQ((*key)->state(now_), KeyState::active);

  // Neither the key nor its secret is anywhere in the database files.
  for (const char* file : {"/relay.db", "/relay.db-wal"}) {
    const std::string bytes = file_bytes(dir() + file);
    EXPECT_EQ(bytes.find(parsed->secret), std::string::npos) << file;
    EXPECT_EQ(bytes.find(*text), std::string::npos) << file;
  }
}

TEST_P(StoreTest, CheckKeyTellsWhatTheRelayNeedsToKnow) {
  add_cluster("c1");
  auto text = ok(store().create_key("c1", "k", {}, {}, kStart + 100));
  auto parsed = *api_key::parse(text);

  auto valid = store().check_key(text);
  ASSERT_TRUE(valid.ok());
  EXPECT_EQ(valid->verdict, KeyVerdict::ok);
  ASSERT_TRUE(valid->key);
  EXPECT_EQ(valid->key->id, parsed.id);

  EXPECT_EQ(store().check_key("sk-not-ours")->verdict, KeyVerdict::malformed);
  EXPECT_EQ(store().check_key(text + " ")->verdict, KeyVerdict::malformed);
  EXPECT_EQ(store().check_key(api_key::generate().text)->verdict, KeyVerdict::unknown);
  std::string wrong = parsed.secret;
  wrong[3] = wrong[3] == 'x' ? 'y' : 'x';
  auto wrong_secret = store().check_key(api_key::compose(api_key::Kind::key, parsed.id, wrong));
  EXPECT_EQ(wrong_secret->verdict, KeyVerdict::unknown);
  EXPECT_FALSE(wrong_secret->key);  // nothing about the key is told to whoever does not hold it

  now_ = kStart + 99;
  EXPECT_EQ(store().check_key(text)->verdict, KeyVerdict::ok);
  now_ = kStart + 100;
  auto expired = store().check_key(text);
  EXPECT_EQ(expired->verdict, KeyVerdict::expired);
  EXPECT_EQ(expired->key->state(now_), KeyState::expired);

  ASSERT_TRUE(ok(store().revoke_key("c1", parsed.id)));
  EXPECT_EQ(store().check_key(text)->verdict, KeyVerdict::revoked);  // revoked wins over expired
}

TEST_P(StoreTest, AKeyIsRevokedOnlyByItsOwnCluster) {
  add_cluster("c1");
  add_cluster("c2");
  auto text = ok(store().create_key("c1", "k", {}));
  const std::string id = api_key::parse(text)->id;
  EXPECT_FALSE(ok(store().revoke_key("c2", id)));
  EXPECT_EQ(store().check_key(text)->verdict, KeyVerdict::ok);
  now_ += 10;
  EXPECT_TRUE(ok(store().revoke_key("c1", id)));
  EXPECT_EQ(ok(store().find_key(id))->revoked_at, kStart + 10);
  EXPECT_EQ(ok(store().find_key(id))->state(now_), KeyState::revoked);
  now_ += 10;
  EXPECT_TRUE(ok(store().revoke_key("c1", id)));
  EXPECT_EQ(ok(store().find_key(id))->revoked_at, kStart + 10);
  EXPECT_FALSE(ok(store().revoke_key("c1", "nokey")));
}

TEST_P(StoreTest, KeysOfAClusterAndTheirHashesForTheNodes) {
  add_cluster("c1");
  add_cluster("c2");
  auto a = ok(store().create_key("c1", "a", {.rpm = 5}, {"m1"}));
  now_ += 1;
  auto b = ok(store().create_key("c1", "b", {}, {}, kStart + 50));
  ASSERT_TRUE(store().create_key("c2", "other", {}).ok());
  ASSERT_TRUE(ok(store().revoke_key("c1", api_key::parse(b)->id)));

  auto keys = store().keys_of("c1");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].name, "a");
  EXPECT_EQ((*keys)[1].name, "b");

  auto hashes = store().key_hashes_of("c1");
  ASSERT_TRUE(hashes.ok());
  ASSERT_EQ(hashes->size(), 2u);
  const auto& first = (*hashes)[0];
  EXPECT_EQ(first.id, api_key::parse(a)->id);
  EXPECT_EQ(first.secret_hash, api_key::secret_hash(api_key::parse(a)->secret));
  EXPECT_EQ(first.models, std::vector<std::string>{"m1"});
  EXPECT_EQ(first.limits.rpm, 5u);
  EXPECT_FALSE(first.expires_at);
  EXPECT_FALSE(first.revoked);
  EXPECT_EQ((*hashes)[1].expires_at, kStart + 50);
  EXPECT_TRUE((*hashes)[1].revoked);
  EXPECT_TRUE(store().key_hashes_of("nope")->empty());
}

TEST_P(StoreTest, KeysNeedALiveClusterAndValidArguments) {
  EXPECT_EQ(store().create_key("nope", "k", {}).error().status, 404);
  add_cluster("c1");
  EXPECT_EQ(store().create_key("c1", "", {}).error().status, 400);
  EXPECT_EQ(store().create_key("c1", "k", {}, {""}).error().status, 400);
  EXPECT_EQ(store().create_key("c1", "k", {}, std::vector<std::string>(257, "m")).error().status, 400);
  EXPECT_TRUE(store().keys_of("c1")->empty());
}

TEST_P(StoreTest, AKeyWithoutModelsAllowsEveryModel) {
  add_cluster("c1");
  auto all = store().check_key(ok(store().create_key("c1", "all", {})));
  EXPECT_TRUE(all->key->allows("anything"));
  auto some = store().check_key(ok(store().create_key("c1", "some", {}, {"a", "b"})));
  EXPECT_TRUE(some->key->allows("b"));
  EXPECT_FALSE(some->key->allows("c"));
  EXPECT_FALSE(some->key->allows("B"));
}

TEST_P(StoreTest, TouchingAKeySetsLastUsedAMinuteAtATime) {
  add_cluster("c1");
  const std::string id = api_key::parse(ok(store().create_key("c1", "k", {})))->id;
  EXPECT_TRUE(ok(store().touch_key(id, kStart + 5)));
  EXPECT_EQ(ok(store().find_key(id))->last_used_at, kStart + 5);
  EXPECT_TRUE(ok(store().touch_key(id, kStart + 30)));
  EXPECT_EQ(ok(store().find_key(id))->last_used_at, kStart + 5);
  EXPECT_TRUE(ok(store().touch_key(id, kStart + 65)));
  EXPECT_EQ(ok(store().find_key(id))->last_used_at, kStart + 65);
  EXPECT_FALSE(ok(store().touch_key("nokey", kStart)));
}

// A damaged model list must not read as "every model".
TEST_P(StoreTest, ADamagedModelListFailsInsteadOfWideningTheKey) {
  add_cluster("c1");
  const std::string text = ok(store().create_key("c1", "k", {}, {"only-this"}));
  const std::string id = api_key::parse(text)->id;
  raw("UPDATE api_keys SET models = '[1]' WHERE id = ?1", "UPDATE api_keys SET models = '[1]' WHERE id = $1",
      {id});
  auto found = store().find_key(id);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().status, 500);
  EXPECT_FALSE(store().check_key(text).ok());
}

TEST_P(StoreTest, LimitsAboveSqlitesIntegersAreKeptAsTheLargest) {
  add_cluster("c1");
  auto text = store().create_key("c1", "k", {.tpm = UINT64_MAX});
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(store().check_key(*text)->key->limits.tpm, static_cast<uint64_t>(INT64_MAX));
}

}  // namespace
}  // namespace quorum::relay
