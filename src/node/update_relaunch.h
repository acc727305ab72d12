// The last steps of a self-update, after the node has drained (docs/update.md):
//
//   relaunch_into_update(): forks a watchdog (a detached grandchild that runs the *previous* binary as
//   `quorum update-trial …`), then execs the new binary in place (same pid, same command line, the UI token
//   kept). Returns only when exec fails; the process should then exit, and the watchdog rolls back.
//
//   run_update_trial(): the watchdog. Probes the node's /health until it reports the new version (done), or
//   until the node's process is gone or the deadline passes (then: stop it, put the previous binary back,
//   and exec it with the node's command line, so the node serves again, as a new pid).
#pragma once

#include <string>
#include <vector>

#include "node/node_update.h"

namespace quorum::node {

struct TrialOptions {
  int pid = 0;                    // the relaunched node
  std::string health_url;         // its /health
  std::string expect;             // the version it must report
  int timeout_seconds = 60;       // its deadline
  std::string target, previous;   // the installed binary and the one to put back
  std::vector<std::string> args;  // the node's command line (args[0] included)
};

// `health_url`: the node's /health on loopback. Returns only when exec fails, with the reason.
std::string relaunch_into_update(const UpdateHandoff& handoff, const std::string& health_url,
                                 const std::vector<std::string>& args, const std::string& ui_token);

// The `quorum update-trial` command; exit code 0 confirmed, 1 rolled back, 2 rollback failed (and execs the
// previous binary in between on rollback: it does not return then).
int run_update_trial(const TrialOptions& options);

}  // namespace quorum::node
