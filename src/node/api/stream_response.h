// Writing a generation to the client: the events a pump coroutine queues (Handoff) become SSE chunks
// (StreamWriter) or one response object (ResponseAggregator). While nothing arrives the client gets
// `: keep-alive` comments every keepalive interval (streams only); an error before the first byte is the
// response itself with its own status, after it an in-band error and [DONE].
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "net/handoff.h"
#include "net/http_server.h"
#include "router/route.h"
#include "wire/events.h"
#include "wire/stream_writer.h"

namespace quorum::node::api {

// What the pump queues: an event of the serving engine, or the end of the generation.
struct QueueItem {
  enum Kind { kEvent, kEnd } kind = kEnd;
  wire::StreamEvent event;
};
using EventQueue = net::Handoff<QueueItem>;

struct StreamOutcome {
  int status = 200;
  std::string error_type;
  std::optional<double> ttft_seconds;
  wire::Usage usage;
};

// Drains `queue` into the client until the generation ends, fails, or the awaiting coroutine is cancelled
// (the client left). Everything already queued goes out in one write. `served` is read when the response
// head goes out (it names the node serving then). Runs on the queue's executor. `outcome` (the caller's, so
// that it outlives a cancellation) is kept up to date as events go out: when the client leaves mid-way it
// still holds the time to the first token and the tokens counted so far.
net::Task<void> write_generation(net::ResponseWriter& writer, EventQueue& queue, bool stream,
                                 std::chrono::seconds keepalive_interval,
                                 const wire::StreamIdentity& identity, const std::string& request_id,
                                 std::chrono::steady_clock::time_point start, const router::Served& served,
                                 StreamOutcome& outcome);

}  // namespace quorum::node::api
