// Re-executing the node in place: what a change from the node's page that needs a fresh start does (joining
// or leaving a cluster, a new name, a new models folder). The process keeps its pid, so a supervisor
// (systemd, `quorum app`) sees nothing happen; the page's event stream reconnects to the new process.
#pragma once

#include <string>
#include <vector>

namespace quorum::node {

// The command line this process started with; main() records it before parsing.
void record_launch(int argc, char** argv);
const std::vector<std::string>& launch_arguments();

// `args` without each option of `drop` ("--name"), in both its forms: "--name VALUE" (the option and the
// argument after it) and "--name=VALUE". The program name (args[0]) is kept. Pure.
std::vector<std::string> without_options(const std::vector<std::string>& args,
                                         const std::vector<std::string>& drop);

// The environment variable that carries the page's per-launch token into the re-executed node, so the page
// that asked for the restart keeps working.
inline constexpr const char* kUiTokenVariable = "QUORUM_UI_TOKEN";

// Closes every descriptor above stderr, before an exec, so that nothing of this run (a connection or a
// listening socket something still held, an engine's pipe) lives on unowned in the next: a listening socket
// nobody accepts on would take a share of the port's connections (SO_REUSEPORT) and leave them unanswered.
void close_inherited_descriptors();

// Replaces this process with a new run of the same executable (/proc/self/exe) and the recorded arguments
// minus `drop`, with `ui_token` in kUiTokenVariable, every descriptor but 0, 1 and 2 closed first. Call it
// once everything is stopped. Returns only when exec fails, with the reason.
std::string relaunch(const std::vector<std::string>& drop, const std::string& ui_token);

}  // namespace quorum::node
