#include "node/ui/ui_guard.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <cctype>

namespace quorum::node::ui {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

bool loopback_host(std::string_view host) {
  if (host.empty()) return false;
  std::string name = lower(host);
  // The port: after the last ':' for a name or IPv4, after "]:" for a bracketed IPv6 literal.
  const bool bracketed = name.starts_with('[');
  const size_t colon = bracketed ? name.find("]:") : name.rfind(':');
  if (colon != std::string::npos) {
    const size_t port_at = bracketed ? colon + 2 : colon + 1;
    if (!all_digits(std::string_view(name).substr(port_at))) return false;
    name.resize(bracketed ? colon + 1 : colon);
  }
  if (name.ends_with('.') && !bracketed) name.pop_back();
  return name == "localhost" || name == "127.0.0.1" || name == "[::1]";
}

std::string new_ui_token() {
  std::array<unsigned char, 16> bytes{};
  RAND_bytes(bytes.data(), static_cast<int>(bytes.size()));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

bool well_formed_ui_token(std::string_view token) {
  if (token.size() != 32) return false;
  for (char c : token) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool ui_token_matches(std::string_view given, std::string_view expected) {
  if (given.empty() || expected.empty() || given.size() != expected.size()) return false;
  return CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

}  // namespace quorum::node::ui
