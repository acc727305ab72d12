#include "cluster/membership.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace quorum::cluster {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "quorum-membership-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Membership, JoinTokenRoundTrips) {
  auto m = new_cluster();
  auto token = encode_join_token(m);
  EXPECT_EQ(token.rfind("qc1.", 0), 0u);
  auto back = decode_join_token("  " + token + "\n");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->cluster_id, m.cluster_id);
  EXPECT_EQ(back->secret, m.secret);
}

TEST(Membership, DamagedTokensAreRefusedWithAReason) {
  auto token = encode_join_token(new_cluster());
  EXPECT_FALSE(decode_join_token("hello").ok());
  EXPECT_NE(decode_join_token("hello").error().message.find("qc1."), std::string::npos);
  EXPECT_FALSE(decode_join_token(token.substr(0, token.size() - 3)).ok());
  std::string typo = token;
  typo[10] = typo[10] == 'A' ? 'B' : 'A';
  auto r = decode_join_token(typo);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("damaged"), std::string::npos);
}

TEST(Membership, FingerprintIsSharedByMembersAndDependsOnTheSecret) {
  auto m = new_cluster();
  auto joined = decode_join_token(encode_join_token(m));
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(joined->fingerprint(), m.fingerprint());
  EXPECT_EQ(m.fingerprint().size(), 16u);
  Membership other = m;
  other.secret[0] = other.secret[0] == '0' ? '1' : '0';
  EXPECT_NE(other.fingerprint(), m.fingerprint());
  EXPECT_EQ(m.fingerprint().find(m.secret.substr(0, 8)), std::string::npos);
}

TEST(Membership, SavedPrivatelyAndLoadedBack) {
  TempDir dir;
  auto none = load_membership(dir.path());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value().has_value());
  auto m = new_cluster();
  ASSERT_TRUE(save_membership(dir.path(), m).ok());
  struct stat st {};
  ASSERT_EQ(::stat((fs::path(dir.path()) / "cluster.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = load_membership(dir.path());
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back.value().has_value());
  EXPECT_EQ(back.value()->secret, m.secret);
}

TEST(Membership, DamagedClusterFileIsAnError) {
  TempDir dir;
  std::ofstream(fs::path(dir.path()) / "cluster.json") << "{\"cluster_id\": 1}";
  auto r = load_membership(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cluster.json"), std::string::npos);
}

TEST(Membership, IdentityIsCreatedOnceAndStaysTheSame) {
  TempDir dir;
  auto a = load_or_create_identity(dir.path());
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->id.size(), 32u);
  EXPECT_FALSE(a->name.empty());
  auto b = load_or_create_identity(dir.path());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(a->name, b->name);
}

}  // namespace
}  // namespace quorum::cluster
