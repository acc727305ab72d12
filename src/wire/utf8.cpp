#include "wire/utf8.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace quorum::wire {

namespace {

// Length of the sequence a lead byte announces (1-4), or 0 for a byte that cannot start one.
int sequence_length(unsigned char b) {
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return 2;
  if (b >= 0xE0 && b <= 0xEF) return 3;
  if (b >= 0xF0 && b <= 0xF4) return 4;
  return 0;
}

bool is_continuation(unsigned char b) {
  return (b & 0xC0) == 0x80;
}

// Whether bytes s[i..i+n) form a valid sequence (no overlongs, surrogates or values above U+10FFFF).
bool valid_sequence(std::string_view s, size_t i, int n) {
  auto b0 = static_cast<unsigned char>(s[i]);
  for (int k = 1; k < n; ++k) {
    if (!is_continuation(static_cast<unsigned char>(s[i + k]))) return false;
  }
  if (n == 3) {
    auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return false;   // overlong
    if (b0 == 0xED && b1 >= 0xA0) return false;  // surrogate
  } else if (n == 4) {
    auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return false;   // overlong
    if (b0 == 0xF4 && b1 >= 0x90) return false;  // above U+10FFFF
  }
  return true;
}

}  // namespace

size_t utf8_complete_prefix(std::string_view s) {
  // Look back at most 3 bytes for the start of a sequence that runs past the end.
  size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    auto b = static_cast<unsigned char>(s[n - back]);
    if (is_continuation(b)) continue;
    int len = sequence_length(b);
    if (len > static_cast<int>(back)) {
      // Hold back only if the bytes so far can still become a valid character.
      for (size_t k = 1; k < back; ++k) {
        if (!is_continuation(static_cast<unsigned char>(s[n - back + k]))) return n;
      }
      return n - back;
    }
    return n;
  }
  return n;
}

std::string Utf8Carry::take(std::string_view piece) {
  carry_.append(piece);
  size_t complete = utf8_complete_prefix(carry_);
  std::string out = sanitize_utf8(std::string_view(carry_).substr(0, complete));
  carry_.erase(0, complete);
  return out;
}

std::string Utf8Carry::flush() {
  std::string out = sanitize_utf8(carry_);
  carry_.clear();
  return out;
}

bool utf8_valid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
#if defined(__SSE2__)
    // ASCII, 16 bytes at a time: no byte has its high bit set.
    if (i + 16 <= s.size() &&
        _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i))) == 0) {
      i += 16;
      continue;
    }
#endif
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    int len = sequence_length(b);
    if (len == 0 || i + len > s.size() || !valid_sequence(s, i, len)) return false;
    i += len;
  }
  return true;
}

std::string sanitize_utf8(std::string_view s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    int len = sequence_length(b);
    if (len == 1) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    if (len > 0 && i + len <= s.size() && valid_sequence(s, i, len)) {
      out.append(s.substr(i, len));
      i += len;
      continue;
    }
    out += kReplacement;  // one per invalid byte
    ++i;
  }
  return out;
}

}  // namespace quorum::wire
