#include "update/updater.h"

#include <utility>

#include "update/semver.h"

namespace quorum::update {

std::string_view state_name(UpdateState state) {
  switch (state) {
    case UpdateState::idle:
      return "idle";
    case UpdateState::checking:
      return "checking";
    case UpdateState::up_to_date:
      return "up_to_date";
    case UpdateState::available:
      return "available";
    case UpdateState::downloading:
      return "downloading";
    case UpdateState::verifying:
      return "verifying";
    case UpdateState::replacing:
      return "replacing";
    case UpdateState::ready:
      return "ready";
    case UpdateState::failed:
      return "failed";
  }
  return "failed";
}

UpdatePaths UpdatePaths::beside(const std::string& target) {
  return {target, target + ".previous", target + ".download"};
}

Updater::Updater(UpdateIo& io, std::string public_key_pem, std::string current_version, UpdatePaths paths)
    : io_(io), public_key_pem_(std::move(public_key_pem)), paths_(std::move(paths)) {
  status_.current = std::move(current_version);
}

const UpdateStatus& Updater::fail(std::string why) {
  status_.state = UpdateState::failed;
  status_.error = std::move(why);
  return status_;
}

const UpdateStatus& Updater::check(bool allow_downgrade) {
  status_.state = UpdateState::checking;
  status_.error.clear();
  status_.available.clear();
  binary_.reset();
  std::string manifest_text, signature;
  if (auto e = io_.fetch("manifest.json", kManifestLimit, manifest_text); !e.empty()) {
    return fail("the release feed cannot be read: " + e);
  }
  if (auto e = io_.fetch("manifest.json.sig", kManifestLimit, signature); !e.empty()) {
    return fail("the release feed cannot be read: " + e);
  }
  if (!signature_valid(manifest_text, signature, public_key_pem_)) {
    return fail("the release manifest's signature is not the release key's: refused");
  }
  std::string error;
  auto manifest = parse_manifest(manifest_text, error);
  if (!manifest) return fail(error);
  const ManifestFile* binary = find_file(*manifest, kNodeBinaryName);
  if (!binary) return fail("the release has no " + std::string(kNodeBinaryName));
  auto current = parse_semver(status_.current);
  auto offered = parse_semver(manifest->version);
  status_.available = manifest->version;
  const int order = current ? compare(*offered, *current) : 1;
  if (order == 0 || (order < 0 && !allow_downgrade)) {
    status_.state = UpdateState::up_to_date;
    return status_;
  }
  binary_ = *binary;
  status_.state = UpdateState::available;
  return status_;
}

std::string Updater::download(const ManifestFile& file) {
  std::string last_error = "the download ended early";
  for (int attempt = 0;; ++attempt) {
    const std::uint64_t have = io_.size_of(paths_.partial).value_or(0);
    if (have > file.size) {
      io_.remove(paths_.partial);
      return "the download is longer than the release says (" + std::to_string(have) + " bytes)";
    }
    if (have == file.size) return "";
    if (attempt == kDownloadAttempts) {
      return last_error + " (" + std::to_string(have) + " of " + std::to_string(file.size) +
             " bytes; the next attempt resumes)";
    }
    if (auto e = io_.download(file.name, have, paths_.partial); !e.empty()) last_error = std::move(e);
  }
}

const UpdateStatus& Updater::apply() {
  if (status_.state != UpdateState::available || !binary_) return fail("no update to apply: check first");
  const ManifestFile file = *binary_;

  status_.state = UpdateState::downloading;
  if (auto e = download(file); !e.empty()) return fail("download failed: " + e);

  status_.state = UpdateState::verifying;
  std::string hex;
  if (auto e = io_.sha256_of(paths_.partial, hex); !e.empty()) return fail("cannot read the download: " + e);
  if (hex != file.sha256) {
    io_.remove(paths_.partial);
    return fail("the download's SHA-256 is not the signed manifest's: refused");
  }

  status_.state = UpdateState::replacing;
  if (auto e = io_.install(paths_.partial, paths_.target, paths_.previous); !e.empty()) {
    io_.remove(paths_.partial);
    return fail("cannot replace " + paths_.target + ": " + e);
  }
  status_.state = UpdateState::ready;
  return status_;
}

}  // namespace quorum::update
