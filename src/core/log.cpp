#include "core/log.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace quorum::log {
namespace {
std::atomic<Level> g_level{Level::kInfo};
std::mutex g_mutex;
const char* name(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

// Length of the valid UTF-8 sequence at the start of `s` (1 to 4), or 0 when it does not start with one.
size_t utf8_sequence(std::string_view s) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (n == 0 || n > s.size() || (n == 2 && c < 0xC2) || (n == 4 && c > 0xF4)) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return 0;
  }
  if (n == 3 && ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) >= 0xA0))) return 0;  // overlong, surrogate
  if (n == 4 && ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) >= 0x90)))
    return 0;  // overlong, > U+10FFFF
  return n;
}

}  // namespace

bool printable_as_is(std::string_view text, size_t max_bytes) {
  return text.size() <= max_bytes && std::all_of(text.begin(), text.end(), [](char ch) {
           const auto c = static_cast<unsigned char>(ch);
           return c >= 0x20 && c < 0x7F;
         });
}

std::string printable(std::string_view text, size_t max_bytes) {
  // The usual case (a model or engine name, a path): rendered as it is.
  if (printable_as_is(text, max_bytes)) return std::string(text);
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 3);
  char piece[8];
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_sequence(text.substr(i));
    unsigned char c = static_cast<unsigned char>(text[i]);
    std::string_view rendered;
    if (n == 1 && c >= 0x20 && c != 0x7F) {
      rendered = text.substr(i, 1);
    } else if (n > 1) {
      rendered = text.substr(i, n);
    } else {
      n = 1;
      if (c == '\n' || c == '\r' || c == '\t') {
        piece[0] = '\\';
        piece[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        rendered = std::string_view(piece, 2);
      } else {
        std::snprintf(piece, sizeof(piece), "\\x%02X", c);
        rendered = std::string_view(piece, 4);
      }
    }
    if (out.size() + rendered.size() > max_bytes) {
      out += "\u2026";  // …
      break;
    }
    out += rendered;
    i += n;
  }
  return out;
}

void set_level(Level level) {
  g_level = level;
}

bool enabled(Level level) {
  return level >= g_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view message) {
  if (!enabled(level)) return;
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "%s.%03dZ %-5s %.*s\n", stamp, static_cast<int>(ms), name(level),
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace quorum::log
