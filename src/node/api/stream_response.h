// Writing a generation to the client from the connection's own coroutine: it reads the routed stream's
// events and writes them as they come — all the events one engine read gave, in one write — as SSE chunks,
// or for a non-streaming client as one response object at the end (GenerationReply decides what to send).
// The connection is watched from callbacks (ResponseWriter::watch), not from a second coroutine: the client
// leaving cancels the stream at once, and while the engine is silent a streaming client gets `: keep-alive`
// comments every keep-alive interval. An error before the first byte is the response itself with its own
// status; after it, an in-band error and [DONE].
#pragma once

#include <chrono>
#include <string>

#include "engines/backend.h"
#include "net/http_server.h"
#include "node/api/generation_reply.h"
#include "router/route.h"

namespace quorum::node::api {

// Streams `stream` to the client until the generation ends (then stream.finish(), for the engine connection's
// reuse), fails, or the client leaves (status 499; `stream` is cancelled, which stops every hop behind it).
// `served` is read when the response head goes out (it names the node serving then). `outcome` (the
// caller's) is kept up to date as events go out: when the client leaves mid-way it still holds the time to
// the first token and the tokens counted so far. Runs on the writer's executor, as `stream` must.
net::Task<void> stream_generation(net::ResponseWriter& writer, engines::EventStream& stream, bool stream_mode,
                                  std::chrono::seconds keepalive_interval,
                                  const wire::StreamIdentity& identity, const std::string& request_id,
                                  std::chrono::steady_clock::time_point start, const router::Served& served,
                                  StreamOutcome& outcome);

}  // namespace quorum::node::api
