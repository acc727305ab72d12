// The secrets the relay hands out and shows once: API keys (`qk_…`, what outside clients send as
// `Authorization: Bearer`) and enrolment tokens (`qe_…`, what `quorum-relay token create` prints for a
// cluster's first node). One text format for both, told apart by the prefix:
//
//   <prefix>_<id><secret><check>      e.g. qk_3fZ9a0LmQ2xY_<43 characters><6 characters>
//   prefix  "qk" (API key) or "qe" (enrolment token)
//   id      12 base62 characters, random: the public handle (stored in clear, shown in lists and logs)
//   secret  32 random bytes as 43 base62 characters, left-padded with '0' to that fixed width
//   check   CRC-32 (IEEE, as zlib's crc32) of "<prefix>_<id>_<secret>" as 6 base62 characters, left-padded:
//           a scanner recognises a leaked key offline, and a mistyped one is refused without a lookup
//
// base62 is 0-9A-Za-z. A key is 65 characters. Only SHA-256(secret) is stored (secret_hash), so a stolen
// database holds no usable key; the secrets are 256 random bits, so a fast hash is enough (no work factor).
// Pure functions, thread-safe; none throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace quorum::auth::api_key {

enum class Kind {
  key,          // "qk"
  enrol_token,  // "qe"
};

inline constexpr size_t kIdLength = 12;
inline constexpr size_t kSecretLength = 43;
inline constexpr size_t kCheckLength = 6;
inline constexpr size_t kTextLength = 3 + kIdLength + 1 + kSecretLength + kCheckLength;  // 65

struct Generated {
  std::string text;         // the whole key: shown to the user once, never stored
  std::string id;           // stored in clear
  std::string secret_hash;  // secret_hash(secret): stored
};

struct Parsed {
  std::string id;
  std::string secret;  // the 43 characters, as secret_hash() and matches() take them
};

// A new key or token from the operating system's CSPRNG (aborts if none is available).
Generated generate(Kind kind = Kind::key);

// The id and secret of a well-formed `kind` text; nullopt for anything else: another prefix (a "qe_" token
// is not a key), another length, a character outside base62, a check that does not match. Surrounding
// whitespace is not trimmed (callers trim what users paste). Looks at most kTextLength characters.
std::optional<Parsed> parse(std::string_view text, Kind kind = Kind::key);

// The text of the key with this id and secret (kIdLength and kSecretLength base62 characters): what
// generate() and parse() agree on. For tests and seed corpora.
std::string compose(Kind kind, std::string_view id, std::string_view secret);

// SHA-256 of the secret, 64 lowercase hex characters: what the store keeps.
std::string secret_hash(std::string_view secret);
// True when `secret` hashes to `stored_hash`; the comparison takes the same time wherever they differ.
bool matches(std::string_view secret, std::string_view stored_hash);

// What logs may show of a key: "qk_<id>_…" when `text` starts like a key or token (its check is not
// verified: a mistyped key still shows which one it was meant to be), "(malformed key)" otherwise. Never any
// character of the secret.
std::string redacted(std::string_view text);

// CRC-32 as the check uses it (reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF).
uint32_t crc32(std::string_view data);

}  // namespace quorum::auth::api_key
