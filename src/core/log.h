// Minimal thread-safe logging to stderr: one line per call, with a UTC timestamp and a level.
// Secrets never go through here: callers log ids, names and sizes, not keys or prompts.
#pragma once

#include <string_view>

namespace quorum::log {

enum class Level { kDebug, kInfo, kWarn, kError };

void set_level(Level level);
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
