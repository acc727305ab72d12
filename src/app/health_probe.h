// A blocking, local probe: does a node answer GET /health on 127.0.0.1:PORT? Plain sockets (no Beast), for
// `quorum app` and `quorum ui` deciding whether a node is there before they open its UI.
#pragma once

#include <chrono>

namespace quorum::app {

// True when 127.0.0.1:`port` accepts a connection and answers GET /health with 200 within `timeout` (each of
// connect, send and receive is bounded by it). False on refusal, timeout or any other answer. Blocks the
// calling thread; thread-safe.
bool node_answers(int port, std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

}  // namespace quorum::app
