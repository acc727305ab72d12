// The few cryptographic primitives the cluster needs, over OpenSSL: random bytes, SHA-256, HMAC-SHA256,
// HKDF-SHA256, a constant-time comparison, and hex / base64url text forms.
#pragma once

#include <string>
#include <string_view>

namespace quorum::cluster {

// `n` bytes from the operating system's CSPRNG, as lowercase hex (2n characters). Aborts if none is
// available.
std::string random_hex(size_t n);
std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// HKDF-SHA256 (RFC 5869): `length` bytes (at most 255 * 32) of key material from `ikm`, `salt` and `info`,
// as raw bytes.
std::string hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info, size_t length);
// Equal strings, compared in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

std::string base64url_encode(std::string_view data);  // no padding
// Empty on malformed input (including characters outside the base64url alphabet).
std::string base64url_decode(std::string_view text);

}  // namespace quorum::cluster
