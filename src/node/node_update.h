// NodeUpdate: the running node's self-update (docs/update.md). It checks the release feed at start and then
// daily when one is configured, shows the result to the UI (the `update` part: {current, available, state,
// error, feed, managed}), and on `apply` downloads, verifies and installs the new binary (update/updater.h),
// then asks the node to drain and relaunch into it with a trial watchdog (node/update_relaunch.h).
//
// A binary under /usr is the Debian package's: apt updates it, so apply is refused there (`managed: "apt"`)
// and the feed is off unless given. Threading: the feed and the disk are used on one worker thread of its
// own (at most one check or apply at a time); every member is thread-safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.h"
#include "node/config.h"
#include "update/updater.h"

namespace quorum::node {

// Set by the update's watchdog for the previous binary it starts again after a rollback: "VERSION: why".
inline constexpr const char* kRolledBackVariable = "QUORUM_UPDATE_ROLLED_BACK";

// What relaunching into the update needs (given to the node's restart).
struct UpdateHandoff {
  std::string target;    // the new binary, installed
  std::string previous;  // the binary it replaced (the rollback)
  std::string version;   // what the new binary's /health must report
  std::chrono::seconds trial_timeout;
};

class NodeUpdate : public std::enable_shared_from_this<NodeUpdate> {
 public:
  // `executable`: this binary's path as it started (update::running_executable()). `changed` runs (any
  // thread) after each state change; `relaunch` (worker thread) once an update is installed.
  NodeUpdate(UpdateConfig config, std::string executable, boost::asio::any_io_executor executor,
             std::function<void()> changed, std::function<void(UpdateHandoff)> relaunch);
  ~NodeUpdate();
  NodeUpdate(const NodeUpdate&) = delete;
  NodeUpdate& operator=(const NodeUpdate&) = delete;

  // Starts the automatic checks (none without a feed).
  void start();
  // No more automatic checks (on the executor: the node's shutdown).
  void stop_timer();
  // No more checks or applies; waits for the one under way (any thread but the worker).
  void stop();
  // The UI's `update` part.
  boost::json::value status_json() const;
  // The UI's writes: check now, or check and apply. 409 when the binary is apt's, when there is no feed, or
  // when a check or apply is already under way; the outcome arrives as `update` events.
  Result<boost::json::object> check();
  Result<boost::json::object> apply();

 private:
  Result<boost::json::object> run(bool apply);
  void schedule(std::chrono::steady_clock::duration after);
  void set_state(const update::UpdateStatus& status);

  const UpdateConfig config_;
  const std::string executable_;
  const bool managed_by_apt_;
  boost::asio::steady_timer timer_;
  std::function<void()> changed_;
  std::function<void(UpdateHandoff)> relaunch_;
  mutable std::mutex mutex_;
  update::UpdateStatus status_;
  bool busy_ = false;
  std::string rolled_back_version_;  // a release this process was rolled back from: not offered again
  std::string rolled_back_error_;
  bool stopped_ = false;
  std::thread worker_;
};

}  // namespace quorum::node
