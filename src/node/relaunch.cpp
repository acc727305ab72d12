#include "node/relaunch.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace quorum::node {

namespace {

std::vector<std::string>& recorded() {
  static std::vector<std::string> args;
  return args;
}

}  // namespace

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
  ::execv("/proc/self/exe", argv.data());
  return std::string("exec failed: ") + std::strerror(errno);
}

}  // namespace quorum::node
