#include "net/http_types.h"

#include <algorithm>

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

void Headers::reserve(size_t count, size_t bytes) {
  slots_.reserve(count);
  // Past the small buffer, so that the text never moves with the Headers.
  text_.reserve(std::max<size_t>(bytes, kLeastText));
}

void Headers::add(std::string_view name, std::string_view value) {
  const size_t need = text_.size() + name.size() + value.size();
  const char* const text = text_.data();
  auto inside = [&](std::string_view v) { return v.data() >= text && v.data() < text + text_.size(); };
  if (need > text_.capacity() && (inside(name) || inside(value))) {
    // A view into this very text, which is about to move.
    const std::string name_copy(name), value_copy(value);
    add(name_copy, value_copy);
    return;
  }
  if (text_.capacity() < kLeastText) text_.reserve(std::max<size_t>(need, kLeastText));
  Slot slot{};
  slot.name_at = static_cast<uint32_t>(text_.size());
  slot.name_size = static_cast<uint32_t>(name.size());
  text_.append(name);
  slot.value_at = static_cast<uint32_t>(text_.size());
  slot.value_size = static_cast<uint32_t>(value.size());
  text_.append(value);
  slots_.push_back(slot);
}

std::string_view Headers::get(std::string_view name) const {
  for (size_t i = 0; i < slots_.size(); ++i) {
    auto [k, v] = item(i);
    if (iequals(k, name)) return v;
  }
  return {};
}

bool Headers::has(std::string_view name) const {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (iequals(item(i).first, name)) return true;
  }
  return false;
}

}  // namespace quorum::net
