// A release manifest (manifest.json, made by scripts/release.sh) and its Ed25519 signature
// (manifest.json.sig, the 64 raw bytes of the signature over the manifest's exact bytes). Pure apart from
// OpenSSL's arithmetic.
//
//   {"version":"0.2.0","created":"2025-01-31T12:00:00Z",
//    "files":[{"name":"quorum-linux-x86_64","size":123,"sha256":"<64 hex>"}, …]}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace quorum::update {

struct ManifestFile {
  std::string name;    // a plain file name in the feed (no '/', not "." or "..")
  std::uint64_t size;  // bytes
  std::string sha256;  // 64 lowercase hex digits
};

struct Manifest {
  std::string version;  // semver (semver.h)
  std::string created;
  std::vector<ManifestFile> files;
};

// The name of the node's bare binary in a release (what a self-update downloads).
inline constexpr std::string_view kNodeBinaryName = "quorum-linux-x86_64";

// The manifest in `json`, or the reason it is not one (the message says which field). Checks the shapes
// above; the version must parse as semver.
std::optional<Manifest> parse_manifest(std::string_view json, std::string& error);

// The entry named `name`, or null.
const ManifestFile* find_file(const Manifest& manifest, std::string_view name);

// True when `signature` is the Ed25519 signature of `message` by the key in `public_key_pem` (a PEM public
// key). False for any other key type, a malformed key or signature, or a mismatch.
bool signature_valid(std::string_view message, std::string_view signature, std::string_view public_key_pem);

// SHA-256 of data fed piece by piece; hex() once at the end.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void add(std::string_view data);
  std::string hex();  // lowercase, 64 digits

 private:
  void* ctx_;  // EVP_MD_CTX
};

}  // namespace quorum::update
