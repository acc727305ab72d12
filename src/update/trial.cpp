#include "update/trial.h"

namespace quorum::update {

TrialResult run_trial(TrialIo& io, const std::string& expected_version, std::chrono::milliseconds deadline) {
  const auto until = io.now() + deadline;
  std::string why;
  while (true) {
    if (auto version = io.health_version(); version && *version == expected_version) {
      return {TrialOutcome::confirmed, ""};
    }
    if (!io.alive()) {
      why = "the new binary exited before it served";
      break;
    }
    if (io.now() >= until) {
      why = "the new binary did not report healthy within " + std::to_string(deadline.count() / 1000) + " s";
      io.stop();
      break;
    }
    io.pause(kTrialProbeInterval);
  }
  if (auto e = io.restore(); !e.empty()) {
    return {TrialOutcome::rollback_failed, why + "; the previous binary cannot be put back: " + e};
  }
  auto e = io.start_previous(why);
  if (!e.empty()) return {TrialOutcome::rollback_failed, why + "; the previous binary cannot start: " + e};
  return {TrialOutcome::rolled_back, why};
}

}  // namespace quorum::update
