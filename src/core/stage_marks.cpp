#include "core/stage_marks.h"

#include <time.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace quorum::stage {

namespace {

constexpr int kStages = static_cast<int>(Stage::kCount);

std::FILE* open_output() {
  const char* path = std::getenv("QUORUM_STAGES");
  if (!path || !*path) return nullptr;
  char name[4096];
  std::snprintf(name, sizeof name, "%s.%d", path, static_cast<int>(::getpid()));
  return std::fopen(name, "w");
}

std::FILE* const output = open_output();
std::mutex output_mutex;

thread_local std::array<std::uint64_t, kStages> marks{};

std::uint64_t now_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<std::uint64_t>(t.tv_sec) * 1000000000u + static_cast<std::uint64_t>(t.tv_nsec);
}

}  // namespace

bool g_enabled = output != nullptr;

void record(Stage stage) noexcept {
  marks[static_cast<int>(stage)] = now_ns();
}

void end_request() noexcept {
  const bool served = marks[static_cast<int>(Stage::kHeadRead)] != 0;
  if (served) {
    int first = 0;
    while (marks[first] == 0) ++first;
    const std::uint64_t base = marks[first];
    char line[512];
    int used = std::snprintf(line, sizeof line, "%llu", static_cast<unsigned long long>(base));
    for (int i = 0; i < kStages && used > 0 && used < static_cast<int>(sizeof line); ++i) {
      const long long tenths = marks[i] >= base ? static_cast<long long>((marks[i] - base) / 100) : -1;
      used += std::snprintf(line + used, sizeof line - used, " %lld", tenths);
    }
    const std::lock_guard lock(output_mutex);
    std::fprintf(output, "%s\n", line);
    std::fflush(output);
  }
  marks.fill(0);
}

}  // namespace quorum::stage
