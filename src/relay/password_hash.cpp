#include "relay/password_hash.h"

#include <sodium.h>

#include <cstdlib>
#include <mutex>

namespace quorum::relay::password {

namespace {

bool ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

bool cheap() {
  const char* v = std::getenv("QUORUM_RELAY_CHEAP_PASSWORDS");
  return v != nullptr && std::string_view(v) == "1";
}

}  // namespace

Status acceptable(std::string_view password) {
  if (password.size() < kMinLength || password.size() > kMaxLength) {
    return ApiError::invalid_request(
        "A password has " + std::to_string(kMinLength) + " to " + std::to_string(kMaxLength) + " characters.",
        "password", "weak_password");
  }
  return Ok{};
}

Result<std::string> hash(std::string_view password) {
  if (auto ok = acceptable(password); !ok) return ok.take_error();
  char out[crypto_pwhash_STRBYTES];
  const bool low = cheap();
  if (!ready() ||
      crypto_pwhash_str(out, password.data(), password.size(),
                        low ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        low ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return ApiError::server(500, "cannot hash the password (out of memory)", "server_error");
  }
  return std::string(out);
}

bool verify(std::string_view stored, std::string_view password) {
  if (!ready() || stored.empty() || stored.size() >= crypto_pwhash_STRBYTES) return false;
  std::string text(stored);  // NUL-terminated, as libsodium reads it
  return crypto_pwhash_str_verify(text.c_str(), password.data(), password.size()) == 0;
}

void verify_dummy(std::string_view password) {
  static std::once_flag once;
  static std::string dummy;
  std::call_once(once, [] {
    auto made = hash("quorum dummy password, never anyone's");
    if (made) dummy = std::move(*made);
  });
  (void)verify(dummy, password);
}

}  // namespace quorum::relay::password
