// What the Store's tests share: a temporary state directory, a clock the test moves, and a store opened on
// both. StoreTest is parameterized by the backend: every TEST_P runs on SQLite and on PostgreSQL (a real
// server the tests start, pg_test_server.h); without PostgreSQL installed, the PostgreSQL runs fail when CI
// is true and are skipped with the reason otherwise.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cluster/signing_key.h"
#include "pg_test_server.h"
#include "relay/sqlite.h"
#include "relay/store.h"
#include "relay/sync_store.h"

namespace quorum::relay::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "quorum-relay-store-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The value of a call that must succeed; a failed one fails the test (and gives T{}).
template <class T>
T ok(Result<T> result) {
  if (!result.ok()) {
    ADD_FAILURE() << result.error().message;
    return T{};
  }
  return std::move(result).value();
}

enum class Backend { sqlite, postgres };

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::sqlite ? "SQLite" : "PostgreSQL";
}

// Whether a missing PostgreSQL fails the test (CI=true) rather than skipping it.
inline bool postgres_required() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  static constexpr UnixSeconds kStart = 1'700'000'000;  // 2023-11-14T22:13:20Z

  void SetUp() override {
    if (postgres()) {
      std::string why;
      database_ = fresh_database(&why);
      if (database_.empty()) {
        if (postgres_required()) FAIL() << "PostgreSQL is needed in CI: " << why;
        GTEST_SKIP() << "PostgreSQL tests skipped: " << why;
      }
    }
    reopen();
  }

  bool postgres() const { return GetParam() == Backend::postgres; }

  // Closes the store (if open) and opens it again on the same directory or database.
  void reopen() {
    store_.reset();
    auto opened = SyncStore::open(database_, dir(), [this] { return now_; });
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
  }

  std::string dir() const { return tmp_.path() + "/state"; }
  const std::string& database() const { return database_; }
  SyncStore& store() { return *store_; }

  // A cluster with a fresh enrolment key, added now.
  Cluster add_cluster(const std::string& id, const std::string& name = "home") {
    Cluster c{id, name, cluster::SigningKey::generate().public_key()};
    auto added = store().add_cluster(c);
    EXPECT_TRUE(added.ok() && *added) << (added.ok() ? "exists" : added.error().message);
    return c;
  }

  Node enrol(const std::string& id, const std::string& cluster_id, const std::string& name = "node") {
    Node n{id, cluster_id, name, cluster::SigningKey::generate().public_key()};
    auto enrolled = store().enrol_node(n);
    EXPECT_TRUE(enrolled.ok() && *enrolled == EnrolResult::enrolled);
    return n;
  }

  // The rows of a statement run straight on the test's database, not through the store (what a test checks of
  // the stored bytes): `sqlite_sql` (one parameter at most, ?1) or `pg_sql` ($1), each of `columns` columns
  // as text.
  std::vector<std::vector<std::string>> raw(const std::string& sqlite_sql, const std::string& pg_sql,
                                            const std::vector<std::string>& args = {}, int columns = 1) {
    std::vector<std::vector<std::string>> out;
    if (!postgres()) {
      auto db = sqlite::Database::open(dir() + "/relay.db");
      if (!db) {
        ADD_FAILURE() << db.error().message;
        return out;
      }
      auto st = (*db)->prepare(sqlite_sql);
      if (!st) {
        ADD_FAILURE() << st.error().message;
        return out;
      }
      if (!args.empty()) st->bind(args[0]);
      while (true) {
        auto more = st->step();
        if (!more || !*more) {
          if (!more) ADD_FAILURE() << more.error().message;
          return out;
        }
        std::vector<std::string> row;
        for (int c = 0; c < columns; ++c) row.push_back(st->text(c));
        out.push_back(std::move(row));
      }
    }
    PGconn* conn = PQconnectdb(database_.c_str());
    std::vector<const char*> values;
    for (const auto& a : args) values.push_back(a.c_str());
    PGresult* res = PQexecParams(conn, pg_sql.c_str(), static_cast<int>(values.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0);
    const auto status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) ADD_FAILURE() << PQerrorMessage(conn);
    for (int r = 0; r < PQntuples(res); ++r) {
      std::vector<std::string> row;
      for (int c = 0; c < columns && c < PQnfields(res); ++c) row.emplace_back(PQgetvalue(res, r, c));
      out.push_back(std::move(row));
    }
    PQclear(res);
    PQfinish(conn);
    return out;
  }

  UnixSeconds now_ = kStart;

 private:
  TempDir tmp_;
  std::string database_;  // "" for SQLite
  std::unique_ptr<SyncStore> store_;
};

}  // namespace quorum::relay::testing
