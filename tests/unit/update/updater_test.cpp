// The update's state machine through every failure the issue lists, over an in-memory feed and disk.
#include "update/updater.h"

#include <gtest/gtest.h>

#include <map>

#include "test_signer.h"

namespace quorum::update {
namespace {

// A feed (name → bytes) and a disk (path → bytes), with faults to switch on.
class FakeIo : public UpdateIo {
 public:
  std::map<std::string, std::string> feed, disk;
  bool feed_down = false;
  size_t cut_after = SIZE_MAX;   // each download delivers at most this many bytes, then "connection reset"
  size_t disk_space = SIZE_MAX;  // bytes the disk takes in all
  bool install_fails = false;
  std::vector<uint64_t> download_offsets;  // the Range each download asked for

  std::string fetch(const std::string& name, size_t limit, std::string& body) override {
    if (feed_down) return "connection refused";
    if (!feed.count(name)) return "404";
    body = feed[name];
    return "";
  }
  std::string download(const std::string& name, uint64_t offset, const std::string& path) override {
    download_offsets.push_back(offset);
    if (feed_down) return "connection refused";
    const std::string& all = feed[name];
    std::string rest = offset < all.size() ? all.substr(offset) : "";
    const bool cut = rest.size() > cut_after;
    if (cut) rest.resize(cut_after);
    size_t used = 0;
    for (auto& [p, bytes] : disk) used += bytes.size();
    if (used + rest.size() > disk_space) {
      disk[path] += rest.substr(0, disk_space - used);
      return "No space left on device";
    }
    disk[path] += rest;
    return cut ? "connection reset" : "";
  }
  std::optional<uint64_t> size_of(const std::string& path) override {
    if (!disk.count(path)) return std::nullopt;
    return disk[path].size();
  }
  std::string sha256_of(const std::string& path, std::string& hex) override {
    Sha256 sha;
    sha.add(disk[path]);
    hex = sha.hex();
    return "";
  }
  void remove(const std::string& path) override { disk.erase(path); }
  std::string install(const std::string& from, const std::string& target,
                      const std::string& previous) override {
    if (install_fails) return "Read-only file system";
    disk[previous] = disk[target];
    disk[target] = disk[from];
    disk.erase(from);
    return "";
  }
};

std::string sha_of(const std::string& s) {
  Sha256 sha;
  sha.add(s);
  return sha.hex();
}

class UpdaterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    io.disk[paths.target] = "old binary";
    publish("0.2.0", new_binary);
  }
  void publish(const std::string& version, const std::string& binary, const std::string& listed_sha = "") {
    io.feed[std::string(kNodeBinaryName)] = binary;
    const std::string manifest = R"({"version":")" + version + R"(","files":[{"name":")" +
                                 std::string(kNodeBinaryName) + R"(","size":)" +
                                 std::to_string(binary.size()) + R"(,"sha256":")" +
                                 (listed_sha.empty() ? sha_of(binary) : listed_sha) + "\"}]}";
    io.feed["manifest.json"] = manifest;
    io.feed["manifest.json.sig"] = key.sign(manifest);
  }
  Updater updater(const std::string& current = "0.1.0") {
    return Updater(io, key.public_pem(), current, paths);
  }
  void expect_untouched() {
    EXPECT_EQ(io.disk[paths.target], "old binary");
    EXPECT_FALSE(io.disk.count(paths.previous));
  }

  testing::TestSigner key;
  FakeIo io;
  UpdatePaths paths = UpdatePaths::beside("/opt/quorum/quorum");
  std::string new_binary = std::string(1000, 'n');
};

TEST_F(UpdaterTest, NewerReleaseIsDownloadedVerifiedAndInstalledKeepingThePrevious) {
  auto u = updater();
  EXPECT_EQ(u.check().state, UpdateState::available);
  EXPECT_EQ(u.status().available, "0.2.0");
  EXPECT_EQ(u.apply().state, UpdateState::ready) << u.status().error;
  EXPECT_EQ(io.disk[paths.target], new_binary);
  EXPECT_EQ(io.disk[paths.previous], "old binary");
  EXPECT_FALSE(io.disk.count(paths.partial));
}

TEST_F(UpdaterTest, SameOrOlderVersionIsUpToDateUnlessADowngradeIsAsked) {
  auto same = updater("0.2.0");
  EXPECT_EQ(same.check().state, UpdateState::up_to_date);
  auto newer = updater("0.3.0");
  EXPECT_EQ(newer.check().state, UpdateState::up_to_date);
  EXPECT_EQ(newer.apply().state, UpdateState::failed);  // nothing to apply
  expect_untouched();
  auto asked = updater("0.3.0");
  EXPECT_EQ(asked.check(/*allow_downgrade=*/true).state, UpdateState::available);
}

TEST_F(UpdaterTest, FeedUnreachableFailsAndChangesNothing) {
  io.feed_down = true;
  auto u = updater();
  EXPECT_EQ(u.check().state, UpdateState::failed);
  EXPECT_NE(u.status().error.find("connection refused"), std::string::npos);
  expect_untouched();
}

TEST_F(UpdaterTest, BadSignatureIsRefusedBeforeAnyDownload) {
  testing::TestSigner stranger;
  io.feed["manifest.json.sig"] = stranger.sign(io.feed["manifest.json"]);
  auto u = updater();
  EXPECT_EQ(u.check().state, UpdateState::failed);
  EXPECT_NE(u.status().error.find("signature"), std::string::npos);
  EXPECT_EQ(u.apply().state, UpdateState::failed);
  EXPECT_TRUE(io.download_offsets.empty());
  expect_untouched();
}

TEST_F(UpdaterTest, ManifestTamperedAfterSigningIsRefused) {
  io.feed["manifest.json"].replace(io.feed["manifest.json"].find("0.2.0"), 5, "9.9.9");
  auto u = updater();
  EXPECT_EQ(u.check().state, UpdateState::failed);
  expect_untouched();
}

TEST_F(UpdaterTest, TruncatedDownloadIsResumedWithRanges) {
  io.cut_after = 400;  // each connection dies after 400 bytes
  auto u = updater();
  u.check();
  EXPECT_EQ(u.apply().state, UpdateState::ready) << u.status().error;
  EXPECT_EQ((std::vector<uint64_t>{0, 400, 800}), io.download_offsets);
  EXPECT_EQ(io.disk[paths.target], new_binary);
}

TEST_F(UpdaterTest, DownloadThatNeverCompletesFailsAndKeepsThePartForTheNextAttempt) {
  io.cut_after = 100;
  auto u = updater();
  u.check();
  EXPECT_EQ(u.apply().state, UpdateState::failed);
  EXPECT_NE(u.status().error.find("300 of 1000"), std::string::npos) << u.status().error;
  expect_untouched();
  io.cut_after = SIZE_MAX;  // the network is back: the next check and apply resume at byte 300
  io.download_offsets.clear();
  u.check();
  EXPECT_EQ(u.apply().state, UpdateState::ready);
  EXPECT_EQ(std::vector<uint64_t>{300}, io.download_offsets);
}

TEST_F(UpdaterTest, DownloadWithTheWrongHashIsRemovedAndRefused) {
  publish("0.2.0", new_binary, sha_of("something else"));
  auto u = updater();
  u.check();
  EXPECT_EQ(u.apply().state, UpdateState::failed);
  EXPECT_NE(u.status().error.find("SHA-256"), std::string::npos);
  EXPECT_FALSE(io.disk.count(paths.partial));
  expect_untouched();
}

TEST_F(UpdaterTest, DownloadLongerThanTheManifestSaysIsRemoved) {
  io.disk[paths.partial] = std::string(2000, 'x');  // left by something else
  auto u = updater();
  u.check();
  EXPECT_EQ(u.apply().state, UpdateState::failed);
  EXPECT_FALSE(io.disk.count(paths.partial));
  expect_untouched();
}

TEST_F(UpdaterTest, DiskFullFailsWithTheReasonAndChangesNothing) {
  io.disk_space = io.disk[paths.target].size() + 500;
  auto u = updater();
  u.check();
  EXPECT_EQ(u.apply().state, UpdateState::failed);
  EXPECT_NE(u.status().error.find("No space left"), std::string::npos) << u.status().error;
  expect_untouched();
}

TEST_F(UpdaterTest, ReplaceFailingLeavesTheInstalledBinary) {
  io.install_fails = true;
  auto u = updater();
  u.check();
  EXPECT_EQ(u.apply().state, UpdateState::failed);
  EXPECT_NE(u.status().error.find("Read-only"), std::string::npos);
  EXPECT_FALSE(io.disk.count(paths.partial));
  expect_untouched();
}

TEST_F(UpdaterTest, ReleaseWithoutABinaryForThisMachineFails) {
  const std::string manifest = R"({"version":"0.2.0","files":[]})";
  io.feed["manifest.json"] = manifest;
  io.feed["manifest.json.sig"] = key.sign(manifest);
  auto u = updater();
  EXPECT_EQ(u.check().state, UpdateState::failed);
}

}  // namespace
}  // namespace quorum::update
