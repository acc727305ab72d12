#include "wire/chunk_scan.h"

#include <cstring>

#include "wire/byte_scan.h"
#include "wire/json_string.h"
#include "wire/request.h"

namespace quorum::wire {

namespace {

constexpr int kMaxDepth = 16;

// A cursor over one chunk. Every method returns false when the input is not what it accepts; the scan then
// gives up (the full path decides what the chunk means).
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  void skip_ws() {
    if (i_ < s_.size() && static_cast<unsigned char>(s_[i_]) > ' ') return;  // compact JSON: nearly always
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool at_end() {
    skip_ws();
    return i_ == s_.size();
  }
  // Consumes `c` (after whitespace).
  bool eat(char c) {
    skip_ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool literal(std::string_view word) {
    skip_ws();
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  // A string token, its quotes included; `escaped` tells whether it holds a backslash. Checks only the
  // framing: is_clean_json_string() is the caller's for a text it keeps.
  bool string(std::string_view& token, bool& escaped) {
    skip_ws();
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    size_t start = i_++;
    escaped = false;
    for (;;) {
      i_ = find_string_special(s_, i_);
      if (i_ >= s_.size()) return false;
      char c = s_[i_];
      if (c == '"') {
        ++i_;
        token = s_.substr(start, i_ - start);
        return true;
      }
      if (c != '\\') return false;  // a raw control character
      escaped = true;
      i_ += 2;
    }
  }
  // A key: a string without escapes (an escaped spelling of "content" would be read as content by a JSON
  // parser, not by a byte compare), then ':'.
  bool key(std::string_view& name) {
    std::string_view token;
    bool escaped = false;
    if (!string(token, escaped) || escaped || !eat(':')) return false;
    name = token.substr(1, token.size() - 2);
    return true;
  }
  // A non-negative integer without sign, fraction or exponent, at most `max`.
  bool small_integer(int64_t max, int64_t& value) {
    skip_ws();
    size_t start = i_;
    value = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
      if (i_ - start >= 9) return false;
      value = value * 10 + (s_[i_] - '0');
      ++i_;
    }
    if (i_ == start || (s_[start] == '0' && i_ - start > 1) || value > max) return false;
    return i_ >= s_.size() || !is_number_char(s_[i_]);
  }
  // An object: `{`, then for each member its key and on_member(name) with the cursor on its value (it
  // consumes the value, or returns false to give up), then `}`.
  template <class OnMember>
  bool members(OnMember&& on_member) {
    if (!eat('{')) return false;
    if (eat('}')) return true;
    do {
      std::string_view name;
      if (!key(name) || !on_member(name)) return false;
    } while (eat(','));
    return eat('}');
  }
  // Any value, checked well enough that a JSON parser reads it too: strings clean as text or as opaque
  // bytes (the full path accepts invalid UTF-8), numbers only of modest size, nesting at most kMaxDepth.
  bool skip_value(int depth) {
    if (depth > kMaxDepth) return false;
    skip_ws();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '"') {
      std::string_view token;
      bool escaped = false;
      return string(token, escaped) && (!escaped || json_string_well_formed(token));
    }
    if (c == '{') return members([&](std::string_view) { return skip_value(depth + 1); });
    if (c == '[') {
      ++i_;
      if (eat(']')) return true;
      do {
        if (!skip_value(depth + 1)) return false;
      } while (eat(','));
      return eat(']');
    }
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    return number();
  }

 private:
  static bool is_number_char(char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
  }
  // -?(0|[1-9][0-9]{0,17})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,2})?
  bool number() {
    auto digits = [&](size_t max) {
      size_t start = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ > start && i_ - start <= max;
    };
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    size_t int_start = i_;
    if (!digits(18)) return false;
    if (s_[int_start] == '0' && i_ - int_start > 1) return false;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (!digits(20)) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digits(2)) return false;
    }
    return i_ >= s_.size() || !is_number_char(s_[i_]);
  }
  std::string_view s_;
  size_t i_ = 0;
};

// A member's value that is a string (the token) or null (empty token).
bool string_or_null(Scanner& in, std::string_view& token) {
  if (in.literal("null")) {
    token = {};
    return true;
  }
  bool escaped = false;
  return in.string(token, escaped);
}

bool non_empty(std::string_view token) {
  return token.size() > 2;
}

struct ChoiceFields {
  int64_t index = 0;
  bool seen_index = false, seen_delta = false, seen_text = false, seen_finish = false;
  std::string_view content, reasoning_content, reasoning, thinking, text, finish;
  bool seen_content = false, seen_reasoning_content = false, seen_reasoning = false, seen_thinking = false;
};

// Marks `seen`; false when it was already set (a repeated key: which one a JSON parser keeps is its own
// business, so the scan does not guess).
bool first(bool& seen) {
  if (seen) return false;
  seen = true;
  return true;
}

bool scan_delta(Scanner& in, ChoiceFields& f) {
  if (in.literal("null")) return true;  // the full path ignores a delta that is not an object
  return in.members([&](std::string_view name) {
    if (name == "content") return first(f.seen_content) && string_or_null(in, f.content);
    if (name == "reasoning_content")
      return first(f.seen_reasoning_content) && string_or_null(in, f.reasoning_content);
    if (name == "reasoning") return first(f.seen_reasoning) && string_or_null(in, f.reasoning);
    if (name == "thinking") return first(f.seen_thinking) && string_or_null(in, f.thinking);
    if (name == "tool_calls") return in.literal("null");  // tool calls take the full path
    return in.skip_value(2);
  });
}

bool scan_choice(Scanner& in, ChoiceFields& f) {
  return in.members([&](std::string_view name) {
    if (name == "index") return first(f.seen_index) && in.small_integer(kMaxChoices - 1, f.index);
    if (name == "delta") return first(f.seen_delta) && scan_delta(in, f);
    if (name == "text") return first(f.seen_text) && string_or_null(in, f.text);
    if (name == "finish_reason") return first(f.seen_finish) && string_or_null(in, f.finish);
    return in.skip_value(1);
  });
}

// The largest count read here: nine digits, as Scanner::small_integer reads them.
constexpr int64_t kMaxPlainCount = 999'999'999;

// A count in `usage`: a plain non-negative integer, or null (as the full path reads an absent count).
// Anything else takes the full path, which ignores a count of another type and calls an out-of-range number
// malformed.
bool scan_count(Scanner& in, bool& seen, std::optional<int64_t>& value) {
  if (!first(seen)) return false;
  if (in.literal("null")) return true;
  int64_t v = 0;
  if (!in.small_integer(kMaxPlainCount, v)) return false;
  value = v;
  return true;
}

// `completion_tokens_details` or `prompt_tokens_details`: null, or an object whose member `name` is a count
// (other members skipped).
bool scan_details(Scanner& in, std::string_view name, std::optional<int64_t>& value) {
  if (in.literal("null")) return true;
  bool seen = false;
  return in.members(
      [&](std::string_view key) { return key == name ? scan_count(in, seen, value) : in.skip_value(3); });
}

// The chunk's `usage` member: null (nothing), or the counts the full path reads (other members skipped).
bool scan_usage(Scanner& in, std::optional<Usage>& usage) {
  if (in.literal("null")) return true;
  Usage u;
  std::optional<int64_t> prompt, completion;
  bool seen_prompt = false, seen_completion = false, seen_completion_details = false,
       seen_prompt_details = false;
  const bool scanned = in.members([&](std::string_view name) {
    if (name == "prompt_tokens") return scan_count(in, seen_prompt, prompt);
    if (name == "completion_tokens") return scan_count(in, seen_completion, completion);
    if (name == "completion_tokens_details")
      return first(seen_completion_details) && scan_details(in, "reasoning_tokens", u.reasoning_tokens);
    if (name == "prompt_tokens_details")
      return first(seen_prompt_details) && scan_details(in, "cached_tokens", u.cached_tokens);
    return in.skip_value(2);
  });
  if (!scanned) return false;
  u.prompt_tokens = prompt.value_or(0);
  u.completion_tokens = completion.value_or(0);
  usage = u;
  return true;
}

}  // namespace

std::optional<PlainChunk> scan_plain_chunk(std::string_view data) {
  Scanner in(data);
  bool seen_choices = false, seen_error = false, seen_usage = false, one_choice = false;
  ChoiceFields f;
  std::optional<Usage> usage;
  const bool scanned = in.members([&](std::string_view name) {
    if (name == "choices") {
      if (!first(seen_choices) || !in.eat('[')) return false;
      if (in.eat(']')) return true;
      one_choice = true;
      return scan_choice(in, f) && in.eat(']');  // one choice only
    }
    if (name == "usage") return first(seen_usage) && scan_usage(in, usage);
    // An error: the full path's (null is nothing).
    if (name == "error") return first(seen_error) && in.literal("null");
    return in.skip_value(1);
  });
  if (!scanned || !in.at_end()) return std::nullopt;

  PlainChunk chunk;
  chunk.usage = usage;
  if (!one_choice) return chunk;
  chunk.choice = static_cast<int>(f.index);
  // The full path's order: reasoning (the first non-empty of its three names), content, then `text`.
  std::string_view reasoning = non_empty(f.reasoning_content) ? f.reasoning_content
                               : non_empty(f.reasoning)       ? f.reasoning
                                                              : f.thinking;
  int texts = 0;
  if (non_empty(reasoning)) {
    chunk.text = PlainChunk::Text::kReasoning;
    chunk.token = reasoning;
    ++texts;
  }
  if (non_empty(f.content)) {
    chunk.text = PlainChunk::Text::kContent;
    chunk.token = f.content;
    ++texts;
  }
  if (non_empty(f.text)) {
    chunk.text = PlainChunk::Text::kContent;
    chunk.token = f.text;
    ++texts;
  }
  if (texts > 1) return std::nullopt;
  if (texts == 1 && !is_clean_json_string(chunk.token)) return std::nullopt;
  // Strings the full path reads but this one does not keep still must be what a JSON parser accepts.
  for (std::string_view other : {f.reasoning_content, f.reasoning, f.thinking, f.content, f.text}) {
    if (!other.empty() && other.data() != chunk.token.data() && !is_clean_json_string(other)) {
      return std::nullopt;
    }
  }
  if (non_empty(f.finish)) {
    std::string_view reason = f.finish.substr(1, f.finish.size() - 2);
    if (reason.find('\\') != std::string_view::npos || reason == "error") return std::nullopt;
    chunk.finish = parse_finish_reason(reason);
  }
  return chunk;
}

namespace {

// `token` is exactly one JSON string token, as Scanner::string reads one: nothing before or after it.
bool one_string_token(std::string_view token) {
  Scanner in(token);
  std::string_view read;
  bool escaped = false;
  return in.string(read, escaped) && read.size() == token.size();
}

}  // namespace

bool StreamChunkScanner::same_shape(std::string_view data, PlainChunk& chunk) const {
  if (shape_.empty()) return false;
  const size_t prefix = text_begin_;
  const size_t suffix = shape_.size() - text_end_;
  // At least `"x"` between them: an empty text is never the chunk's text, so it is scanned.
  if (data.size() < prefix + suffix + 3) return false;
  if (std::memcmp(data.data(), shape_.data(), prefix) != 0) return false;
  if (std::memcmp(data.data() + data.size() - suffix, shape_.data() + text_end_, suffix) != 0) return false;
  const std::string_view token = data.substr(prefix, data.size() - prefix - suffix);
  // Printable ASCII (nearly every token) is one clean string token in one pass; anything else is checked
  // in full.
  if (!is_plain_ascii_string(token) && (!one_string_token(token) || !is_clean_json_string(token)))
    return false;
  chunk = PlainChunk{};
  chunk.choice = choice_;
  chunk.text = text_;
  chunk.token = token;
  return true;
}

void StreamChunkScanner::remember(std::string_view data, const PlainChunk& chunk) {
  shape_.assign(data);
  text_begin_ = static_cast<uint32_t>(chunk.token.data() - data.data());
  text_end_ = static_cast<uint32_t>(text_begin_ + chunk.token.size());
  choice_ = chunk.choice;
  text_ = chunk.text;
}

std::optional<PlainChunk> StreamChunkScanner::scan(std::string_view data) {
  PlainChunk chunk;
  if (same_shape(data, chunk)) {
    ++compared_;
    return chunk;
  }
  auto plain = scan_plain_chunk(data);
  if (plain && plain->text != PlainChunk::Text::kNone && !plain->finish && !plain->usage &&
      data.size() <= kMaxShapeBytes) {
    remember(data, *plain);
  }
  return plain;
}

}  // namespace quorum::wire
