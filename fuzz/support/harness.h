// What the harnesses share: invariant checks that stop the fuzzer with a message (libFuzzer then saves the
// input as a crash artifact), a deterministic way to cut an input into pieces, and an independent UTF-8
// validator to check the code's own.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace quorum::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* condition, std::string_view detail) {
  std::fprintf(stderr, "\n%s:%d: invariant broken: %s\n", file, line, condition);
  if (!detail.empty()) std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// FUZZ_CHECK(condition) or FUZZ_CHECK(condition, detail): aborts when the condition is false. The detail (a
// string) is only built then.
#define FUZZ_CHECK(condition, ...)                                                                    \
  do {                                                                                                \
    if (!(condition)) ::quorum::fuzz::fail(__FILE__, __LINE__, #condition, std::string{__VA_ARGS__}); \
  } while (0)

// The pieces `bytes` is cut into: lengths of 1 to 16 bytes drawn from a generator seeded by the bytes
// themselves, so that one input always cuts the same way (a crash reproduces) while different inputs cut
// at different places.
inline std::vector<std::string_view> pieces(std::string_view bytes) {
  uint64_t state = 1469598103934665603ull;  // FNV-1a of the input seeds xorshift64
  for (unsigned char c : bytes) state = (state ^ c) * 1099511628211ull;
  if (state == 0) state = 1;
  std::vector<std::string_view> out;
  size_t at = 0;
  while (at < bytes.size()) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    size_t n = 1 + state % 16;
    out.push_back(bytes.substr(at, n));
    at += out.back().size();
  }
  return out;
}

// Well-formed UTF-8 (RFC 3629: no overlongs, surrogates or values above U+10FFFF), written apart from
// src/wire/utf8.cpp so that each checks the other.
inline bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    int n = 0;
    uint32_t cp = 0;
    if ((b & 0xE0) == 0xC0) {
      n = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (int k = 1; k < n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = cp << 6 | (c & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace quorum::fuzz
