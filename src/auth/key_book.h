// KeyBook: the cluster's API keys as the relay last sent them — ids and SHA-256 hashes of the secrets, never
// a secret — so that a key works against this node's LAN listener too, and keeps working while the relay is
// unreachable. The relay pushes the whole list whenever a key is made or revoked and when the link opens
// (NOTICE "keys"); the node keeps it in its state directory (keys.json, 0600) for the next start.
//
// check() takes the text after "Bearer " and answers as the relay would: malformed, unknown (or a wrong
// secret: told apart by nobody), revoked, expired, or ok with the key's model scope. Comparisons are in
// constant time. Thread-safe: replace() swaps the whole list; check() runs on every server thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace quorum::auth {

struct KeyEntry {
  std::string id;
  std::string secret_hash;
  std::vector<std::string> models;  // empty: every model
  std::optional<int64_t> expires_at;
  bool revoked = false;
};

enum class KeyVerdict { kOk, kMalformed, kUnknown, kRevoked, kExpired };

struct KeyCheck {
  KeyVerdict verdict = KeyVerdict::kUnknown;
  std::string key_id;
  std::vector<std::string> models;
};

class KeyBook {
 public:
  void replace(std::vector<KeyEntry> keys);
  KeyCheck check(std::string_view text, int64_t unix_now) const;
  size_t size() const;

  // The list as JSON ({"keys":[{id, hash, models, expires_at, revoked}]}), as the relay sends it and
  // keys.json keeps it; parse fails (400) on anything else, a key with an empty id or a hash that is not 64
  // characters among it. At most kMaxKeys entries.
  static constexpr size_t kMaxKeys = 100000;
  static std::string to_json(const std::vector<KeyEntry>& keys);
  static Result<std::vector<KeyEntry>> parse(std::string_view json);

  // keys.json in `state_dir`: loaded when present (an empty list otherwise), saved atomically with 0600.
  static Result<std::vector<KeyEntry>> load(const std::string& state_dir);
  static Status save(const std::string& state_dir, const std::vector<KeyEntry>& keys);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, KeyEntry, std::less<>> keys_;
};

}  // namespace quorum::auth
