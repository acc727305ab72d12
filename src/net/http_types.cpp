#include "net/http_types.h"

namespace quorum::net {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // ASCII case folding, as std::tolower does in the C locale the node runs in, without a libc call a byte.
  auto fold = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; };
  for (size_t i = 0; i < a.size(); ++i) {
    if (fold(static_cast<unsigned char>(a[i])) != fold(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view Headers::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (iequals(k, name)) return v;
  }
  return {};
}

bool Headers::has(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (iequals(k, name)) return true;
  }
  return false;
}

}  // namespace quorum::net
