// The node that `quorum app` starts beside its window: this same executable run as `quorum node …`, owned by
// the app, stopped when the app ends. Linux only (pidfd, PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace quorum::app {

// How a process ended, from its wait status: "exited with code 2", "was killed by signal 9 (Killed)".
std::string describe_exit(int wait_status);

class NodeChild {
 public:
  // Runs `executable` with `args` (after argv[0], which is "quorum") in a child process that shares this
  // one's standard streams. The child gets SIGTERM if this process dies first, so a killed app leaves no node
  // behind. The node may re-exec itself (same pid) when it joins a cluster: that is not an exit. Call before
  // any other thread exists (it forks). Fails when the process cannot be made.
  static Result<NodeChild> spawn(const std::string& executable, const std::vector<std::string>& args);

  NodeChild(NodeChild&& other) noexcept;
  NodeChild& operator=(NodeChild&&) = delete;
  NodeChild(const NodeChild&) = delete;
  // Stops the child (as stop()) when it still runs.
  ~NodeChild();

  pid_t pid() const { return pid_; }
  // Readable when the child has exited (a pidfd): for poll() or a GLib fd watch. Owned by this object.
  int exit_fd() const { return pidfd_; }

  // The child's wait status once it has exited (reaped then), or nothing while it runs. Does not block.
  std::optional<int> exited();
  // Waits up to `timeout` for the child to exit; its wait status, or nothing if it still runs.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // Sends SIGTERM, waits up to `grace` for the child to exit, then SIGKILL and waits. Returns its wait
  // status. Idempotent: after the child has been reaped it returns the status it had.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  NodeChild(pid_t pid, int pidfd) : pid_(pid), pidfd_(pidfd) {}
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<int> status_;
};

}  // namespace quorum::app
