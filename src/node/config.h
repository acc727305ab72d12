// Everything `quorum node` can be told, from flags and the config file, merged once at start-up.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/result.h"
#include "net/server_limits.h"

namespace quorum::node {

struct EngineSpec {
  std::string name;
  std::string type;  // "openai" or "ollama"
  std::string url;
};

// The embedded llama.cpp engine (adapter `llamacpp`).
struct EmbeddedEngineConfig {
  bool enabled = true;
  std::string models_dir;                                           // empty: <state_dir>/models
  std::vector<std::string> models;                                  // --model [ID=]PATH
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};  // 0: never unload for idleness
  uint64_t memory_budget = 0;                                       // bytes; 0: three quarters of the RAM
  int slots = 4;
  int queue = 32;
  int ctx = 0;      // per slot; 0: the model's training context, at most 4096
  int threads = 0;  // 0: one per core
};

// The LAN cluster (issue: mDNS, presence, routing).
struct ClusterConfig {
  std::vector<std::pair<std::string, unsigned short>> peers;  // --peer HOST:PORT
  std::vector<std::string> advertise;                         // --advertise ADDR: replaces the found ones
  bool mdns = true;                                           // --no-mdns: peers come only from --peer
  std::chrono::milliseconds heartbeat_interval{2000};
  std::chrono::milliseconds prune_after{std::chrono::minutes(5)};
  int capacity = 0;  // generations this node serves well at once; 0: from its engines
};

// The self-update (node/node_update.h, docs/update.md).
struct UpdateConfig {
  std::string feed;                        // --update-feed: the release feed's URL ("" = none)
  std::chrono::seconds trial_timeout{60};  // --update-trial-timeout: the new binary's deadline to be healthy
  std::chrono::hours check_every{24};      // between two automatic checks
};

struct NodeConfig {
  std::string listen_host = "127.0.0.1";
  unsigned short listen_port = 32768;
  std::string state_dir;  // default ~/.local/share/quorum
  std::string name;       // --name: the node's friendly name, kept in node.json (default: the host name)
  std::vector<EngineSpec> engines;
  bool autodetect = true;
  // Where autodetection looks: engines on their default local ports unless overridden.
  std::vector<EngineSpec> autodetect_candidates;
  std::chrono::seconds probe_interval{5};
  std::chrono::seconds keepalive_interval{10};  // SSE comment while waiting for the first token
  std::chrono::seconds idle_timeout{300};       // a silent engine is given up on after this
  // The server's bounds (net/server_limits.h) that flags change.
  size_t max_body_bytes = net::ServerLimits{}.max_body_bytes;
  std::chrono::seconds header_timeout = net::ServerLimits{}.header_timeout;
  std::chrono::seconds body_timeout = net::ServerLimits{}.body_timeout;
  int threads = 0;  // 0: one per core, at most 4
  int max_retries = 3;
  std::string reasoning_field = "reasoning_content";
  std::string log_level = "info";
  // Engines' common chunks take the pass-through path (wire/chunk_scan.h); false: every chunk is parsed and
  // re-written (`--no-pass-through`, to compare the two paths).
  bool pass_through = true;
  EmbeddedEngineConfig embedded;
  ClusterConfig cluster;
  UpdateConfig update;
};

// "8G", "512MiB", "1.5g", "1048576": a size in bytes (K/M/G/T are powers of 1024). Errors name the value.
Result<uint64_t> parse_byte_size(const std::string& text);

// Parses "NAME=URL" or "NAME=TYPE:URL" (TYPE openai|ollama). Without a type, a URL on port 11434 is ollama,
// anything else openai. Errors name the bad value.
Result<EngineSpec> parse_engine_spec(const std::string& text);
// "HOST:PORT" or "[V6]:PORT" (a --peer): the port is required and not 0.
Result<std::pair<std::string, unsigned short>> parse_peer(const std::string& text);
// "HOST:PORT" or "[V6]:PORT" or ":PORT".
Result<std::pair<std::string, unsigned short>> parse_listen(const std::string& text);
// Engines on their default local ports: Ollama 11434, LM Studio 1234, llama.cpp server 8080, vLLM 8000.
std::vector<EngineSpec> default_autodetect_candidates();
std::string default_state_dir();

}  // namespace quorum::node
