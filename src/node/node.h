// `quorum node`: runs the API server until SIGINT or SIGTERM.
#pragma once

#include "node/config.h"

namespace quorum::node {

// Threading: `config.threads` io_contexts, one thread each; each has its own listener on the same port
// (SO_REUSEPORT) and serves its connections, and their engine calls, start to finish. The engine watch loop
// runs on the first. Returns the process exit code; on a signal, stops accepting, lets responses in progress
// finish (up to 10 s), then exits 0.
int run_node(NodeConfig config);

}  // namespace quorum::node
