// The trial after a relaunch: confirm a healthy new version, roll back one that exits or hangs.
#include "update/trial.h"

#include <gtest/gtest.h>

namespace quorum::update {
namespace {

using namespace std::chrono_literals;

class FakeTrial : public TrialIo {
 public:
  std::chrono::steady_clock::time_point clock{};
  int healthy_after_probes = -1;  // -1: never
  std::string version = "0.2.0";
  int dies_after_probes = -1;  // -1: never
  int probes = 0;
  bool stopped = false, restored = false, started = false;
  std::string restore_error, start_error, started_why;

  std::chrono::steady_clock::time_point now() override { return clock; }
  void pause(std::chrono::milliseconds d) override { clock += d; }
  bool alive() override { return dies_after_probes < 0 || probes <= dies_after_probes; }
  std::optional<std::string> health_version() override {
    ++probes;
    if (healthy_after_probes >= 0 && probes > healthy_after_probes) return version;
    return std::nullopt;
  }
  void stop() override { stopped = true; }
  std::string restore() override {
    restored = true;
    return restore_error;
  }
  std::string start_previous(const std::string& why) override {
    started_why = why;
    started = true;
    return start_error;
  }
};

TEST(Trial, HealthyNewVersionIsConfirmedAndNothingIsRestored) {
  FakeTrial io;
  io.healthy_after_probes = 5;
  auto r = run_trial(io, "0.2.0", 30s);
  EXPECT_EQ(r.outcome, TrialOutcome::confirmed);
  EXPECT_FALSE(io.restored);
}

TEST(Trial, NewBinaryCrashingAtStartIsRolledBackAtOnce) {
  FakeTrial io;
  io.dies_after_probes = 0;
  auto r = run_trial(io, "0.2.0", 30s);
  EXPECT_EQ(r.outcome, TrialOutcome::rolled_back);
  EXPECT_TRUE(io.restored);
  EXPECT_TRUE(io.started);
  EXPECT_FALSE(io.stopped);                    // nothing to stop
  EXPECT_LT(io.clock.time_since_epoch(), 1s);  // not after the deadline: as soon as it is gone
  EXPECT_NE(r.why.find("exited"), std::string::npos);
}

TEST(Trial, NewBinaryThatHangsIsStoppedAtTheDeadlineAndRolledBack) {
  FakeTrial io;
  auto r = run_trial(io, "0.2.0", 10s);
  EXPECT_EQ(r.outcome, TrialOutcome::rolled_back);
  EXPECT_TRUE(io.stopped);
  EXPECT_TRUE(io.restored);
  EXPECT_GE(io.clock.time_since_epoch(), 10s);
}

TEST(Trial, HealthyButTheOldVersionIsNotConfirmation) {
  // The old node still answering on the port (it has not exited yet) must not confirm the new one.
  FakeTrial io;
  io.healthy_after_probes = 0;
  io.version = "0.1.0";
  auto r = run_trial(io, "0.2.0", 5s);
  EXPECT_EQ(r.outcome, TrialOutcome::rolled_back);
}

TEST(Trial, RollbackThatCannotRestoreSaysSo) {
  FakeTrial io;
  io.dies_after_probes = 0;
  io.restore_error = "Permission denied";
  auto r = run_trial(io, "0.2.0", 5s);
  EXPECT_EQ(r.outcome, TrialOutcome::rollback_failed);
  EXPECT_NE(r.why.find("Permission denied"), std::string::npos);
  EXPECT_FALSE(io.started);
}

}  // namespace
}  // namespace quorum::update
