#include "app/open_browser.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "app/node_child.h"

extern char** environ;

namespace quorum::app {

BrowserOutcome open_browser(const std::string& url) {
  std::string program = "xdg-open", arg = url;
  char* argv[] = {program.data(), arg.data(), nullptr};
  pid_t pid = -1;
  int err = ::posix_spawnp(&pid, "xdg-open", nullptr, nullptr, argv, environ);
  if (err != 0) {
    std::cerr << "quorum: cannot run xdg-open (" << std::strerror(err) << ")\n";
  } else {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return BrowserOutcome::opened;
    std::cerr << "quorum: xdg-open " << describe_exit(status) << "\n";
  }
  std::cout << "Open " << url << " in a browser." << std::endl;
  return BrowserOutcome::printed;
}

}  // namespace quorum::app
