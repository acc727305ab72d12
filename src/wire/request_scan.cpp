#include "wire/request_scan.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "core/hex_digit.h"
#include "wire/byte_scan.h"
#include "wire/utf8.h"

namespace quorum::wire {

namespace {

// Boost.JSON's parser refuses nesting deeper than 32 (its default): a body near that is left to it.
constexpr int kMaxDepth = 30;
// A number whose integer digits plus exponent pass this may be beyond a double's range (1e309): left to the
// full parse, which names it.
constexpr int kMaxMagnitude = 300;
// Integers the scanner reads exactly: up to 18 digits is within int64 whatever they are.
constexpr int kMaxExactDigits = 18;

constexpr std::array<std::string_view, 6> kRoles = {"system",    "developer", "user",
                                                    "assistant", "tool",      "function"};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A number as the scanner saw it: `value` is exact when `integer` (no fraction, no exponent) and
// digits <= kMaxExactDigits.
struct Number {
  bool integer = true;
  bool negative = false;
  int digits = 0;  // of the integer part
  int64_t value = 0;
};

// A JSON text, read strictly (RFC 8259, as Boost.JSON reads it by default). Every reader returns false for
// an error or for what it leaves to the full parse; the caller then gives up on the whole body.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}

  size_t pos() const { return i_; }
  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool at_end() const { return i_ == s_.size(); }

  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }

  // A string (at its opening quote); `plain`: written without escapes.
  bool string(bool& plain) {
    plain = true;
    ++i_;
    for (;;) {
      i_ = find_string_special(s_, i_);
      if (i_ >= s_.size()) return false;
      if (s_[i_] == '"') {
        ++i_;
        return true;
      }
      if (s_[i_] != '\\' || i_ + 1 >= s_.size()) return false;  // a control character, or a cut escape
      plain = false;
      const char e = s_[i_ + 1];
      if (e == 'u') {
        if (i_ + 6 > s_.size()) return false;
        unsigned code = 0;
        for (size_t k = i_ + 2; k < i_ + 6; ++k) {
          const int digit = hex_value(s_[k]);
          if (digit < 0) return false;
          code = code * 16 + static_cast<unsigned>(digit);
        }
        if (code >= 0xD800 && code <= 0xDFFF) return false;  // surrogate pairs are the full parse's
        i_ += 6;
      } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
                 e == 't') {
        i_ += 2;
      } else {
        return false;
      }
    }
  }

  bool number(Number& n) {
    if (at('-')) {
      n.negative = true;
      ++i_;
    }
    if (i_ >= s_.size() || !is_digit(s_[i_])) return false;
    if (s_[i_] == '0') {
      ++i_;
      n.digits = 1;
      if (i_ < s_.size() && is_digit(s_[i_])) return false;  // a leading zero
    } else {
      for (; i_ < s_.size() && is_digit(s_[i_]); ++i_) {
        if (n.digits < kMaxExactDigits) n.value = n.value * 10 + (s_[i_] - '0');
        ++n.digits;
      }
    }
    if (at('.')) {
      n.integer = false;
      ++i_;
      if (i_ >= s_.size() || !is_digit(s_[i_])) return false;
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    int exponent = 0;
    if (at('e') || at('E')) {
      n.integer = false;
      ++i_;
      bool negative_exponent = false;
      if (at('+') || at('-')) negative_exponent = s_[i_++] == '-';
      if (i_ >= s_.size() || !is_digit(s_[i_])) return false;
      for (int count = 0; i_ < s_.size() && is_digit(s_[i_]); ++i_) {
        if (++count > 3) return false;
        exponent = exponent * 10 + (s_[i_] - '0');
      }
      if (negative_exponent) exponent = 0;  // toward zero is always finite
    }
    if (n.digits + exponent > kMaxMagnitude) return false;
    if (n.negative) n.value = -n.value;
    return true;
  }

  bool word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }

  // A container's opening (at it): false when it is too deep; `empty` when it closes at once (then past it).
  bool open(int depth, char close, bool& empty) {
    if (depth > kMaxDepth) return false;
    ++i_;
    skip_space();
    empty = at(close);
    if (empty) ++i_;
    return true;
  }

  enum class After { kNext, kEnd, kError };
  // After a member or an element: a comma (another follows), or the container's `close` (then past it).
  After separator(char close) {
    skip_space();
    if (at(',')) {
      ++i_;
      skip_space();
      return After::kNext;
    }
    if (!at(close)) return After::kError;
    ++i_;
    return After::kEnd;
  }

  // An object (at its '{'): `member(key, plain)` reads each member's value, at it.
  template <class Member>
  bool object(int depth, Member&& member) {
    bool empty = false;
    if (!open(depth, '}', empty)) return false;
    if (empty) return true;
    for (;;) {
      if (!at('"')) return false;
      const size_t key_begin = i_;
      bool plain = true;
      if (!string(plain)) return false;
      const std::string_view key = s_.substr(key_begin, i_ - key_begin);
      skip_space();
      if (!at(':')) return false;
      ++i_;
      skip_space();
      if (!member(key, plain)) return false;
      const After next = separator('}');
      if (next != After::kNext) return next == After::kEnd;
    }
  }

  // An array (at its '['): `element()` reads each element, at it. `count`: how many it had.
  template <class Element>
  bool array(int depth, Element&& element, size_t& count) {
    count = 0;
    bool empty = false;
    if (!open(depth, ']', empty)) return false;
    if (empty) return true;
    for (;;) {
      if (!element()) return false;
      ++count;
      const After next = separator(']');
      if (next != After::kNext) return next == After::kEnd;
    }
  }

  // Any value, `depth` being that of its container.
  bool value(int depth) {
    if (i_ >= s_.size()) return false;
    switch (s_[i_]) {
      case '"': {
        bool plain = true;
        return string(plain);
      }
      case '{':
        return object(depth + 1, [this, depth](std::string_view, bool) { return value(depth + 1); });
      case '[': {
        size_t count = 0;
        return array(
            depth + 1, [this, depth] { return value(depth + 1); }, count);
      }
      case 't':
        return word("true");
      case 'f':
        return word("false");
      case 'n':
        return word("null");
      default: {
        Number n;
        return number(n);
      }
    }
  }

  // A string written without escapes, its contents (no quotes) in `out`.
  bool plain_string(std::string_view& out) {
    if (!at('"')) return false;
    const size_t begin = i_;
    bool plain = true;
    if (!string(plain) || !plain) return false;
    out = s_.substr(begin + 1, i_ - begin - 2);
    return true;
  }

  // null, or an integer within [lo, hi] read exactly; `out` set when not null.
  bool optional_integer(int64_t lo, int64_t hi, std::optional<int64_t>& out) {
    if (at('n')) return word("null");
    Number n;
    if (!number(n) || !n.integer || n.digits > kMaxExactDigits || (n.negative && n.value == 0)) return false;
    if (n.value < lo || n.value > hi) return false;
    out = n.value;
    return true;
  }

  // null, or a boolean; `out` set when not null.
  bool optional_bool(std::optional<bool>& out) {
    if (at('n')) return word("null");
    if (at('t') && word("true")) {
      out = true;
      return true;
    }
    if (at('f') && word("false")) {
      out = false;
      return true;
    }
    return false;
  }

  bool optional_number() {
    if (at('n')) return word("null");
    Number n;
    return (at('-') || (i_ < s_.size() && is_digit(s_[i_]))) && number(n);
  }

  bool string_or_strings(bool allow_null, bool allow_empty_array) {
    if (allow_null && at('n')) return word("null");
    bool plain = true;
    if (at('"')) return string(plain);
    if (!at('[')) return false;
    size_t count = 0;
    return array(
               2, [this, &plain] { return at('"') && string(plain); }, count) &&
           (allow_empty_array || count > 0);
  }

  // One of chat's messages: an object with a known role; content, when there, a string, an array or null.
  bool message() {
    if (!at('{')) return false;
    bool role = false;
    bool content = false;
    const bool read = object(3, [this, &role, &content](std::string_view key, bool plain) {
      if (!plain) return false;
      if (key == R"("role")") {
        std::string_view name;
        if (role || !plain_string(name)) return false;
        role = std::find(kRoles.begin(), kRoles.end(), name) != kRoles.end();
        return role;
      }
      if (key == R"("content")") {
        if (content || !(at('"') || at('[') || at('n'))) return false;
        content = true;
      }
      return value(3);
    });
    return read && role;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::optional<ScannedGeneration> scan_generation_request(std::string_view body, bool chat) {
  if (body.size() >= UINT32_MAX) return std::nullopt;
  Scanner scan(body);
  ScannedGeneration out;
  out.members.reserve(16);
  bool input = false;  // messages or prompt
  std::optional<bool> stream;
  std::optional<bool> include_usage;
  std::optional<int64_t> n;
  std::optional<int64_t> max_tokens;
  std::optional<int64_t> max_completion_tokens;
  std::optional<int64_t> seed;

  auto member = [&](std::string_view key, bool plain) {
    if (!plain) return false;
    const auto offset = [&body](const char* p) { return static_cast<uint32_t>(p - body.data()); };
    for (const ScannedMember& seen : out.members) {
      if (body.substr(seen.key_begin, seen.key_end - seen.key_begin) == key) return false;  // twice
    }
    ScannedMember m{offset(key.data()), offset(key.data() + key.size()), static_cast<uint32_t>(scan.pos()),
                    0};
    bool read = false;
    if (key == R"("model")") {
      read = scan.plain_string(out.model) && !out.model.empty();
    } else if (chat && key == R"("messages")") {
      size_t count = 0;
      read = scan.at('[') &&
             scan.array(
                 2, [&scan] { return scan.message(); }, count) &&
             count > 0;
      input = true;
    } else if (!chat && key == R"("prompt")") {
      read = scan.string_or_strings(false, false);
      input = true;
    } else if (chat && key == R"("tools")") {
      read = scan.at('n') ? scan.word("null") : (scan.at('[') && scan.value(1));
    } else if (key == R"("stream")") {
      read = scan.optional_bool(stream);
    } else if (key == R"("stream_options")") {
      if (scan.at('n')) {
        read = scan.word("null");
      } else {
        read =
            scan.at('{') && scan.object(2, [&scan, &include_usage](std::string_view inner, bool inner_plain) {
              if (!inner_plain) return false;
              if (inner == R"("include_usage")") return !include_usage && scan.optional_bool(include_usage);
              return scan.value(2);
            });
      }
    } else if (key == R"("n")") {
      read = scan.optional_integer(1, 128, n);
    } else if (key == R"("max_tokens")") {
      read = scan.optional_integer(0, INT64_MAX, max_tokens);
    } else if (key == R"("max_completion_tokens")") {
      read = scan.optional_integer(0, INT64_MAX, max_completion_tokens);
    } else if (key == R"("seed")") {
      read = scan.optional_integer(INT64_MIN, INT64_MAX, seed);
    } else if (key == R"("temperature")" || key == R"("top_p")" || key == R"("presence_penalty")" ||
               key == R"("frequency_penalty")") {
      read = scan.optional_number();
    } else if (key == R"("stop")") {
      read = scan.string_or_strings(true, true);
    } else {
      read = scan.value(1);
    }
    m.value_end = static_cast<uint32_t>(scan.pos());
    out.members.push_back(m);
    return read;
  };

  scan.skip_space();
  if (!scan.at('{') || !scan.object(1, member)) return std::nullopt;
  scan.skip_space();
  if (!scan.at_end() || out.model.empty() || !input || !utf8_valid(body)) return std::nullopt;
  out.stream = stream.value_or(false);
  out.include_usage = out.stream && include_usage.value_or(false);
  if (n) out.n = static_cast<int>(*n);
  out.max_tokens = max_completion_tokens ? max_completion_tokens : max_tokens;
  return out;
}

}  // namespace quorum::wire
