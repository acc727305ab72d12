// What the Store's tests share: a temporary state directory, a clock the test moves, and a store opened on
// both.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "cluster/signing_key.h"
#include "relay/store.h"

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

class StoreTest : public ::testing::Test {
 protected:
  static constexpr UnixSeconds kStart = 1'700'000'000;  // 2023-11-14T22:13:20Z

  void SetUp() override { reopen(); }

  // Closes the store (if open) and opens it again on the same directory.
  void reopen() {
    store_.reset();
    auto opened = Store::open(dir(), [this] { return now_; });
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
  }

  std::string dir() const { return tmp_.path() + "/state"; }
  Store& store() { return *store_; }

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

  UnixSeconds now_ = kStart;

 private:
  TempDir tmp_;
  std::unique_ptr<Store> store_;
};

}  // namespace quorum::relay::testing
