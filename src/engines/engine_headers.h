// The headers of a JSON request from an adapter to its engine (openai_backend.cpp, ollama_backend.cpp), in
// this order: Content-Type: application/json; Accept when `accept` is given; X-Request-Id when the call
// has a request id (so the engine's log can be matched to the node's).
#pragma once

#include <string>

#include "engines/backend.h"
#include "net/http_types.h"

namespace quorum::engines {

net::Headers json_headers(const CallContext& context, std::string accept = {});

}  // namespace quorum::engines
