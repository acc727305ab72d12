// Creating engine adapters from their specs, and keeping autodetected engines in step with what runs.
#pragma once

#include <memory>

#include "engines/registry.h"
#include "node/config.h"

namespace quorum::node {

// Engine calls give up after `config.idle_timeout` of silence (the stream then ends with an in-band error).
std::shared_ptr<engines::Backend> make_backend(const EngineSpec& spec, const NodeConfig& config);

// The embedded llama.cpp engine for `config.embedded` (its models folder is created when it is the default
// one; location() is that folder). Null, with the reason logged, when a --model value is malformed.
std::shared_ptr<engines::Backend> make_embedded_backend(const NodeConfig& config);

// Forever, every `config.probe_interval`: probes each autodetect candidate that was not configured
// explicitly, adds the ones that answer, removes autodetected ones that stopped answering, and refreshes
// every engine's model list. Runs on the caller's executor until cancelled.
net::Task<void> engine_watch_loop(const NodeConfig& config, engines::EngineRegistry& registry);

}  // namespace quorum::node
