#include "node/relaunch.h"

#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace quorum::node {

namespace {

std::vector<std::string>& recorded() {
  static std::vector<std::string> args;
  return args;
}

}  // namespace

void close_inherited_descriptors() {
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, 3U, UINT_MAX, 0U) == 0) return;
#endif
  std::vector<int> open;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (dirent* entry = ::readdir(dir)) {
      const int fd = std::atoi(entry->d_name);
      if (fd > 2 && fd != ::dirfd(dir)) open.push_back(fd);
    }
    ::closedir(dir);
  }
  for (int fd : open) ::close(fd);
}

void record_launch(int argc, char** argv) {
  recorded().assign(argv, argv + argc);
}

const std::vector<std::string>& launch_arguments() {
  return recorded();
}

std::vector<std::string> without_options(const std::vector<std::string>& args,
                                         const std::vector<std::string>& drop) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    bool dropped = false;
    for (const auto& option : drop) {
      if (i > 0 && args[i] == option) {
        ++i;  // and its value
        dropped = true;
        break;
      }
      if (i > 0 && args[i].starts_with(option + "=")) {
        dropped = true;
        break;
      }
    }
    if (!dropped && i < args.size()) out.push_back(args[i]);
  }
  return out;
}

std::string relaunch(const std::vector<std::string>& drop, const std::string& ui_token) {
  std::vector<std::string> args = without_options(launch_arguments(), drop);
  if (args.empty()) return "the node's command line was not recorded";
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::setenv(kUiTokenVariable, ui_token.c_str(), 1);
  // The program's own path (so that ps shows its name), or /proc/self/exe when it cannot be read.
  std::string self(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  self = n > 0 && !std::string_view(self.data(), static_cast<size_t>(n)).ends_with(" (deleted)")
             ? self.substr(0, static_cast<size_t>(n))
             : std::string("/proc/self/exe");
  close_inherited_descriptors();
  ::execv(self.c_str(), argv.data());
  return std::string("exec failed: ") + std::strerror(errno);
}

}  // namespace quorum::node
