#include "auth/api_key.h"

#include <openssl/rand.h>

#include <array>
#include <cstdlib>

#include "cluster/crypto.h"

namespace quorum::auth::api_key {

namespace {

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr size_t kSecretBytes = 32;
constexpr size_t kIdAt = 3;
constexpr size_t kSecretAt = kIdAt + kIdLength + 1;
constexpr size_t kCheckAt = kSecretAt + kSecretLength;

std::string_view prefix(Kind kind) {
  return kind == Kind::enrol_token ? "qe_" : "qk_";
}

int digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 36;
  return -1;
}

bool base62(std::string_view s) {
  for (char c : s) {
    if (digit(c) < 0) return false;
  }
  return true;
}

void random_bytes(unsigned char* out, size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) std::abort();
}

// `n` random base62 characters: each from a random byte below 248 (4 × 62), so that every character is
// equally likely.
std::string random_base62(size_t n) {
  std::string out;
  while (out.size() < n) {
    std::array<unsigned char, 32> buffer{};
    random_bytes(buffer.data(), buffer.size());
    for (unsigned char b : buffer) {
      if (b < 248 && out.size() < n) out += kBase62[b % 62];
    }
  }
  return out;
}

// The big-endian number `bytes` in base62, exactly `width` digits (the number must fit; 32 bytes fit in 43).
std::string base62_fixed(std::array<unsigned char, kSecretBytes> number, size_t width) {
  std::string out(width, '0');
  for (size_t at = width; at-- > 0;) {
    unsigned remainder = 0;
    for (auto& b : number) {
      const unsigned value = remainder * 256 + b;
      b = static_cast<unsigned char>(value / 62);
      remainder = value % 62;
    }
    out[at] = kBase62[remainder];
  }
  return out;
}

std::string check_text(uint32_t check) {
  std::string out(kCheckLength, '0');
  uint64_t value = check;
  for (size_t at = kCheckLength; at-- > 0; value /= 62) out[at] = kBase62[value % 62];
  return out;
}

}  // namespace

uint32_t crc32(std::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

std::string compose(Kind kind, std::string_view id, std::string_view secret) {
  std::string text;
  text.reserve(kTextLength);
  text.append(prefix(kind)).append(id).append("_").append(secret);
  text += check_text(crc32(text));
  return text;
}

Generated generate(Kind kind) {
  std::array<unsigned char, kSecretBytes> secret_bytes{};
  random_bytes(secret_bytes.data(), secret_bytes.size());
  const std::string id = random_base62(kIdLength);
  const std::string secret = base62_fixed(secret_bytes, kSecretLength);
  return {compose(kind, id, secret), id, secret_hash(secret)};
}

std::optional<Parsed> parse(std::string_view text, Kind kind) {
  if (text.size() != kTextLength || text.substr(0, kIdAt) != prefix(kind) || text[kSecretAt - 1] != '_') {
    return std::nullopt;
  }
  const std::string_view id = text.substr(kIdAt, kIdLength);
  const std::string_view secret = text.substr(kSecretAt, kSecretLength);
  const std::string_view check = text.substr(kCheckAt);
  if (!base62(id) || !base62(secret) || !base62(check)) return std::nullopt;
  uint64_t value = 0;
  for (char c : check) value = value * 62 + static_cast<uint64_t>(digit(c));
  if (value != crc32(text.substr(0, kCheckAt))) return std::nullopt;
  return Parsed{std::string(id), std::string(secret)};
}

std::string secret_hash(std::string_view secret) {
  return cluster::sha256_hex(secret);
}

bool matches(std::string_view secret, std::string_view stored_hash) {
  return cluster::constant_time_equal(secret_hash(secret), stored_hash);
}

std::string redacted(std::string_view text) {
  const std::string_view head = text.substr(0, kSecretAt);
  const bool known_prefix =
      head.substr(0, kIdAt) == prefix(Kind::key) || head.substr(0, kIdAt) == prefix(Kind::enrol_token);
  if (head.size() != kSecretAt || !known_prefix || !base62(head.substr(kIdAt, kIdLength)) ||
      head.back() != '_') {
    return "(malformed key)";
  }
  return std::string(head) + "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
}

}  // namespace quorum::auth::api_key
