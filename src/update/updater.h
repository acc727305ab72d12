// The self-update as a state machine over injected I/O, so that every step can be made to fail in a test:
//
//   idle ─check()─▶ checking ─▶ up_to_date | available | failed
//   available ─apply()─▶ downloading ─▶ verifying ─▶ replacing ─▶ ready | failed
//   ready: the new binary is at `target`, the old one at `previous`; the caller drains and relaunches
//   (node/update_relaunch.h), and trial.h decides between `updated` and `rolled_back`.
//
// Every failure leaves the installed binary as it was (`failed`, with the reason), except that a partial
// download is kept for the next apply() to resume when what it holds may still be right. docs/update.md has
// the whole picture. Not thread-safe: one thread drives an Updater.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "update/manifest.h"

namespace quorum::update {

enum class UpdateState {
  idle,
  checking,
  up_to_date,
  available,
  downloading,
  verifying,
  replacing,
  ready,
  failed,
};
std::string_view state_name(UpdateState state);

// The files of one installation, all in the binary's directory (renames there are atomic).
struct UpdatePaths {
  std::string target;    // the installed binary, replaced in place
  std::string previous;  // the binary before the last update (target + ".previous")
  std::string partial;   // the download in progress (target + ".download")
  static UpdatePaths beside(const std::string& target);
};

// What the state machine does to the world: update/feed_io.h is the real one, tests have fakes. Each call
// returns "" on success, else the reason (for the user: "disk full", "connection refused", …).
class UpdateIo {
 public:
  virtual ~UpdateIo() = default;
  // The feed's file `name` whole, at most `limit` bytes.
  virtual std::string fetch(const std::string& name, std::size_t limit, std::string& body) = 0;
  // Appends the feed's file `name` from byte `offset` on (an HTTP Range request when offset > 0) to the file
  // at `path`, created when absent. What was written is on disk (fsync) when it returns, even on failure.
  virtual std::string download(const std::string& name, std::uint64_t offset, const std::string& path) = 0;
  virtual std::optional<std::uint64_t> size_of(const std::string& path) = 0;  // nullopt: no such file
  virtual std::string sha256_of(const std::string& path, std::string& hex) = 0;
  virtual void remove(const std::string& path) = 0;
  // `previous` becomes the file `target` is (replacing an older previous), then `from` (made executable)
  // is renamed over `target`, and the directory synced. On failure `target` is the file it was.
  virtual std::string install(const std::string& from, const std::string& target,
                              const std::string& previous) = 0;
};

// True for a binary that a package manager owns (under /usr/): apt updates it, not Quorum.
inline bool managed_by_package(const std::string& executable) {
  return executable.starts_with("/usr/");
}

struct UpdateStatus {
  UpdateState state = UpdateState::idle;
  std::string current;    // this binary's version
  std::string available;  // the feed's version, once checked
  std::string error;      // why the last step failed (state failed)
};

class Updater {
 public:
  // Downloads that end short are resumed this many times in one apply().
  static constexpr int kDownloadAttempts = 3;
  // The manifest and its signature are small; anything larger is refused unread.
  static constexpr std::size_t kManifestLimit = 1 << 20;

  Updater(UpdateIo& io, std::string public_key_pem, std::string current_version, UpdatePaths paths);

  // Fetches manifest.json and manifest.json.sig, checks the signature against the release key, reads the
  // manifest and compares versions: `available` when it is newer (or, with allow_downgrade, any other
  // version), `up_to_date` otherwise, `failed` when the feed cannot be read, the signature or the manifest
  // is bad, or the release has no binary for this machine.
  const UpdateStatus& check(bool allow_downgrade = false);

  // From `available`: downloads the binary to `partial` (resuming what an earlier attempt left), checks its
  // size and SHA-256 against the signed manifest, then installs it (install() above): `ready`. `failed`
  // otherwise, with the installed binary untouched; a partial download that is too long or has the wrong
  // hash is removed, a short one is kept for the next apply() to resume. From any other state: `failed`.
  const UpdateStatus& apply();

  const UpdateStatus& status() const { return status_; }
  const UpdatePaths& paths() const { return paths_; }

 private:
  const UpdateStatus& fail(std::string why);
  // downloading: `partial` holds `file.size` bytes, or the reason it does not.
  std::string download(const ManifestFile& file);

  UpdateIo& io_;
  std::string public_key_pem_;
  UpdatePaths paths_;
  UpdateStatus status_;
  std::optional<ManifestFile> binary_;  // the signed manifest's entry for the node's binary
};

}  // namespace quorum::update
