// Command-line clients of a running node: `quorum chat` and `quorum models`.
#pragma once

#include <optional>
#include <string>

namespace quorum::cli {

struct ChatOptions {
  std::string url;  // node base URL, e.g. http://127.0.0.1:32768
  std::string model;
  std::string prompt;  // empty: read stdin
  std::string system;
  std::optional<int> max_tokens;
  std::optional<double> temperature;
};

// Streams the reply to stdout as it arrives (reasoning dimmed on a terminal, on stderr otherwise).
// Returns 0 on success; prints the server's error message to stderr and returns 1 on failure.
int run_chat(const ChatOptions& options);

// Prints the node's models and the engines that serve each (or the raw JSON with `json`).
int run_models(const std::string& url, bool json);

// Prints this node and the other nodes of its cluster found on the LAN (or the raw JSON with `json`).
int run_nodes(const std::string& url, bool json);

// The node URL: --url if given, else $QUORUM_URL, else http://127.0.0.1:32768.
std::string node_url(const std::string& flag);

}  // namespace quorum::cli
