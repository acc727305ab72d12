#include "update/semver.h"

#include <charconv>
#include <vector>

namespace quorum::update {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<unsigned long> number(std::string_view s) {
  if (!all_digits(s) || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  unsigned long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

bool identifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    if (!ok) return false;
  }
  return true;
}

int compare_identifiers(std::string_view a, std::string_view b) {
  const bool an = all_digits(a), bn = all_digits(b);
  if (an && bn) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;  // no leading zeros: longer is larger
    return a.compare(b);
  }
  if (an != bn) return an ? -1 : 1;
  return a.compare(b);
}

}  // namespace

std::optional<SemVer> parse_semver(std::string_view text) {
  if (auto plus = text.find('+'); plus != std::string_view::npos) {
    for (auto id : split(text.substr(plus + 1), '.')) {
      if (!identifier(id)) return std::nullopt;
    }
    text = text.substr(0, plus);
  }
  std::string_view pre;
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    pre = text.substr(dash + 1);
    text = text.substr(0, dash);
    for (auto id : split(pre, '.')) {
      if (!identifier(id) || (all_digits(id) && id.size() > 1 && id[0] == '0')) return std::nullopt;
    }
  }
  auto parts = split(text, '.');
  if (parts.size() != 3) return std::nullopt;
  auto major = number(parts[0]), minor = number(parts[1]), patch = number(parts[2]);
  if (!major || !minor || !patch) return std::nullopt;
  return SemVer{*major, *minor, *patch, std::string(pre)};
}

int compare(const SemVer& a, const SemVer& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  if (a.prerelease == b.prerelease) return 0;
  if (a.prerelease.empty()) return 1;
  if (b.prerelease.empty()) return -1;
  auto x = split(a.prerelease, '.'), y = split(b.prerelease, '.');
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (int c = compare_identifiers(x[i], y[i]); c != 0) return c < 0 ? -1 : 1;
  }
  if (x.size() == y.size()) return 0;
  return x.size() < y.size() ? -1 : 1;
}

}  // namespace quorum::update
