// UTF-8 boundary handling: a multi-byte character is never split across two emitted events.
#pragma once

#include <string>
#include <string_view>

namespace quorum::wire {

// Length of the longest prefix of `s` that does not end inside a multi-byte UTF-8 sequence. Bytes that can
// never become valid (stray continuation bytes, overlong leads) do not hold anything back.
size_t utf8_complete_prefix(std::string_view s);

// Holds back the incomplete tail of a text stream until the rest of the character arrives.
class Utf8Carry {
 public:
  // Returns carry + piece up to the last complete character (invalid bytes replaced by U+FFFD); keeps the
  // incomplete tail.
  std::string take(std::string_view piece);
  // Returns what is held back (at end of stream), with each invalid byte replaced by U+FFFD.
  std::string flush();
  bool empty() const { return carry_.empty(); }

 private:
  std::string carry_;
};

// True when `s` is valid UTF-8 throughout (no overlongs, surrogates, values above U+10FFFF, stray or missing
// continuation bytes, nor a sequence cut at the end).
bool utf8_valid(std::string_view s);

// Replaces invalid UTF-8 byte sequences with U+FFFD so that strict decoders never fail on our output.
std::string sanitize_utf8(std::string_view s);

}  // namespace quorum::wire
