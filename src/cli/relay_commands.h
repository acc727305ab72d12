// `quorum relay join|show|leave`, `quorum keys create|list|revoke` and `quorum usage`: this node's relay
// (relay.json in the state directory, cluster/membership.h) and the control plane it reaches there. The
// node need not run: these talk to the relay directly, signing each request with the node's key; a running
// node notices relay.json within seconds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace quorum::cli {

// Enrols this node at the relay `url` (its cluster's first node presents the operator's enrolment `token`;
// later nodes need none) and writes relay.json.
int run_relay_join(const std::string& state_dir, const std::string& url, const std::string& token);
int run_relay_show(const std::string& state_dir, bool json);
int run_relay_leave(const std::string& state_dir);

struct KeyOptions {
  std::string name;
  std::vector<std::string> models;
  uint64_t rpm = 0, tpm = 0, max_parallel = 0;
  std::string expires;  // "30d", "12h", a Unix time, or empty
};
// Prints the new key once, as the last line.
int run_keys_create(const std::string& state_dir, const KeyOptions& options);
int run_keys_list(const std::string& state_dir, bool json);
int run_keys_revoke(const std::string& state_dir, const std::string& id);
int run_usage(const std::string& state_dir, const std::string& from, const std::string& to, bool json);

}  // namespace quorum::cli
