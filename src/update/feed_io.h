// The real UpdateIo: the release feed over HTTP(S) (net/http_client.h) and the installed binary's files.
// Blocking: each call runs its own io_context to the end, so call it from a thread that may block (the
// node's update worker, the `quorum update` command). Not thread-safe.
#pragma once

#include <chrono>
#include <string>

#include "update/updater.h"

namespace quorum::update {

class FeedIo : public UpdateIo {
 public:
  // `feed_url`: the release feed, a directory URL (http(s)://host/path/); files are fetched as feed_url +
  // name. Every connect, response head and read silence is bounded by `timeout`.
  explicit FeedIo(std::string feed_url, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  std::string fetch(const std::string& name, std::size_t limit, std::string& body) override;
  std::string download(const std::string& name, std::uint64_t offset, const std::string& path) override;
  std::optional<std::uint64_t> size_of(const std::string& path) override;
  std::string sha256_of(const std::string& path, std::string& hex) override;
  void remove(const std::string& path) override;
  std::string install(const std::string& from, const std::string& target,
                      const std::string& previous) override;

 private:
  std::string url_of(const std::string& name) const;
  std::string feed_url_;
  std::chrono::milliseconds timeout_;
};

// File operations shared with the rollback (trial): `previous` renamed over `target`, directory synced.
std::string restore_previous(const std::string& previous, const std::string& target);

// The real path of the running executable (/proc/self/exe resolved), "" when it cannot be read. Read it at
// start: after an update renames another file over it, /proc/self/exe names the old file.
std::string running_executable();

}  // namespace quorum::update
