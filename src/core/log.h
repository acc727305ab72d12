// Minimal thread-safe logging to stderr: one line per call, with a UTC timestamp and a level.
// Secrets never go through here: callers log ids, names and sizes, not keys or prompts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace quorum::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// `text` made safe for one log line (or a metrics label): control characters escaped (\n, \r, \t, \xNN; so
// are bytes that are not valid UTF-8), and cut at a character boundary with "…" when the result would exceed
// `max_bytes` (the result is then at most max_bytes + 3). For what a client or an engine chose: model names,
// request targets, messages.
inline constexpr size_t kMaxPrintable = 128;
std::string printable(std::string_view text, size_t max_bytes = kMaxPrintable);
// Whether printable(text, max_bytes) is `text` itself: printable ASCII within the cap (the usual name or
// path), so that a caller may keep a view of `text` instead of a rendered copy.
bool printable_as_is(std::string_view text, size_t max_bytes = kMaxPrintable);

void set_level(Level level);
// Whether a line of `level` would be written: callers skip building a line nobody will see.
bool enabled(Level level);
void write(Level level, std::string_view message);
inline void debug(std::string_view m) {
  write(Level::kDebug, m);
}
inline void info(std::string_view m) {
  write(Level::kInfo, m);
}
inline void warn(std::string_view m) {
  write(Level::kWarn, m);
}
inline void error(std::string_view m) {
  write(Level::kError, m);
}

}  // namespace quorum::log
