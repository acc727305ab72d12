// The trial after an update's relaunch: the new binary must report healthy, with the new version, within a
// deadline; when it does not (it exits, or it hangs), the previous binary is put back and started. A small
// watchdog process runs it (node/update_relaunch.h), forked by the old node just before it re-executes into
// the new binary, so a new binary that crashes before it can do anything is still rolled back. Pure over
// TrialIo, so the tests drive every outcome.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace quorum::update {

class TrialIo {
 public:
  virtual ~TrialIo() = default;
  virtual std::chrono::steady_clock::time_point now() = 0;
  // Waits `delay` between two probes (a poll with a deadline, not a synchronisation).
  virtual void pause(std::chrono::milliseconds delay) = 0;
  // The relaunched process still exists.
  virtual bool alive() = 0;
  // The version the node's /health reports, or nullopt when it does not answer 200.
  virtual std::optional<std::string> health_version() = 0;
  // Ends the relaunched process (it hangs without being healthy).
  virtual void stop() = 0;
  // Renames `previous` over `target`; "" or the reason it failed.
  virtual std::string restore() = 0;
  // Starts the restored binary with the node's command line, telling it why (the UI shows it); returns
  // only when it cannot, with the reason.
  virtual std::string start_previous(const std::string& why) = 0;
};

enum class TrialOutcome {
  confirmed,        // the new version serves
  rolled_back,      // it did not; the previous binary is back (and was started)
  rollback_failed,  // it did not, and the previous binary could not be put back or started: `why` says
};

struct TrialResult {
  TrialOutcome outcome;
  std::string why;  // what went wrong (empty when confirmed)
};

inline constexpr std::chrono::milliseconds kTrialProbeInterval{200};

// Probes until /health reports `expected_version` (confirmed) or until `deadline` passes or the process is
// gone (roll back: stop it if it still runs, restore, start the previous binary).
TrialResult run_trial(TrialIo& io, const std::string& expected_version, std::chrono::milliseconds deadline);

}  // namespace quorum::update
