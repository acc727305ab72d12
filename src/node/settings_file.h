// settings.json in the node's state directory: what the user changed from the node's page (docs/ui-api.md)
// and keeps across restarts. The node reads it at start-up and merges it into its NodeConfig
// (apply_settings); the page writes it through save_settings. Flags given on the command line win over it.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "node/config.h"

namespace quorum::node {

struct NodeSettings {
  std::vector<EngineSpec> engines;  // added in Settings
  std::string models_dir;           // empty: the default (or --models-dir)
};

// An absent file is empty settings; a malformed one is an error naming the file.
Result<NodeSettings> load_settings(const std::string& state_dir);
// Written atomically, mode 0600.
Status save_settings(const std::string& state_dir, const NodeSettings& settings);

// The settings' engines added to `config` (one named like an engine of the flags is left out), and the
// models folder when `config` has none from the flags.
void apply_settings(const NodeSettings& settings, NodeConfig& config);

// An engine as added from the page: `name` (letters, digits, '-', '_', '.'; at most 64), `url` (http://),
// `type` ("openai", "ollama" or empty: guessed as parse_engine_spec() does). Errors say what is wrong.
Result<EngineSpec> engine_from_page(const std::string& name, const std::string& url, const std::string& type);

}  // namespace quorum::node
