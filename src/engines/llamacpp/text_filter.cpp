#include "engines/llamacpp/text_filter.h"

#include <algorithm>
#include <utility>

namespace quorum::engines::llamacpp {

namespace {

std::vector<size_t> failure_table(std::string_view s) {
  std::vector<size_t> f(s.size(), 0);
  size_t k = 0;
  for (size_t i = 1; i < s.size(); ++i) {
    while (k > 0 && s[i] != s[k]) k = f[k - 1];
    if (s[i] == s[k]) ++k;
    f[i] = k;
  }
  return f;
}

}  // namespace

TextFilter::TextFilter(const std::vector<std::string>& stops) {
  for (const std::string& s : stops) {
    std::string text = wire::sanitize_utf8(s);
    if (text.empty()) continue;
    std::vector<size_t> failure = failure_table(text);
    stops_.push_back(Stop{std::move(text), std::move(failure), 0});
  }
}

TextFilter::Output TextFilter::feed(std::string_view piece) {
  if (stopped_) return {"", true};
  return consume(carry_.take(piece));
}

std::string TextFilter::flush() {
  if (stopped_) return "";
  Output out = consume(carry_.flush());
  if (out.stopped) return std::move(out.text);
  out.text += held_;
  held_.clear();
  for (Stop& s : stops_) s.matched = 0;
  return std::move(out.text);
}

TextFilter::Output TextFilter::consume(std::string text) {
  if (stopped_) return {"", true};
  if (stops_.empty()) return {std::move(text), false};

  const size_t base = held_.size();
  held_ += text;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    size_t longest = 0;  // the longest stop string completed by this byte
    for (Stop& s : stops_) {
      size_t k = s.matched;  // always < s.text.size() here
      while (k > 0 && s.text[k] != c) k = s.failure[k - 1];
      if (s.text[k] == c) ++k;
      s.matched = k;
      if (k == s.text.size()) longest = std::max(longest, k);
    }
    if (longest > 0) {
      // The occurrence starts inside held_ or the new text: held_ always covers every partial match.
      Output out{held_.substr(0, base + i + 1 - longest), true};
      stopped_ = true;
      held_.clear();
      return out;
    }
  }

  size_t hold = 0;
  for (const Stop& s : stops_) hold = std::max(hold, s.matched);
  Output out{held_.substr(0, held_.size() - hold), false};
  held_.erase(0, held_.size() - hold);
  return out;
}

}  // namespace quorum::engines::llamacpp
