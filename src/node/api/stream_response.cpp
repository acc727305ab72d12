#include "node/api/stream_response.h"

#include "node/api/responses.h"
#include "wire/sse.h"

namespace quorum::node::api {

using Clock = std::chrono::steady_clock;

net::Task<void> stream_generation(net::ResponseWriter& w, engines::EventStream& stream, bool stream_mode,
                                  std::chrono::seconds keepalive_interval,
                                  const wire::StreamIdentity& identity, const std::string& request_id,
                                  Clock::time_point start, const router::Served& served,
                                  StreamOutcome& outcome) {
  // The head names whoever serves when it goes out: made again before each write until one went out, for a
  // holder tried after the first failed before its first event. Nothing once the head is out.
  auto begin = [&]() -> net::Task<bool> {
    if (w.started()) co_return true;
    net::Headers h;
    h.add("Content-Type", "text/event-stream");
    h.add("Cache-Control", "no-cache");
    h.add("X-Accel-Buffering", "no");
    h.add("x-request-id", request_id);
    add_served_by(h, served);
    co_return co_await w.begin_stream(200, h);
  };

  std::optional<wire::StreamWriter> writer;
  std::optional<wire::ResponseAggregator> aggregator;
  if (stream_mode) {
    writer.emplace(identity);
  } else {
    aggregator.emplace(identity);
  }
  std::string out;
  w.watch([&stream] { stream.cancel(); }, stream_mode ? keepalive_interval : std::chrono::seconds(0),
          stream_mode ? wire::sse_comment("keep-alive") : std::string());
  if (stream_mode) co_await begin();

  for (;;) {
    auto event = co_await stream.next();
    if (w.client_gone()) break;
    // What ends the response, if this event does.
    std::optional<ApiError> failure;
    const bool finished = !event;
    if (finished) {
      // the end
    } else if (auto* e = std::get_if<wire::StreamError>(&*event)) {
      failure = std::move(e->error);
    } else if (auto bad = wire::malformed_event(*event, identity.n)) {
      failure = std::move(bad);  // checked here too so that the outcome (status, error type) records it
    } else {
      if (!outcome.ttft_seconds && !std::holds_alternative<wire::Usage>(*event)) {
        outcome.ttft_seconds = std::chrono::duration<double>(Clock::now() - start).count();
      }
      if (writer) {
        writer->on_event(*event, out);
      } else {
        aggregator->on_event(*event);
      }
    }
    // Kept up to date, so that a client leaving mid-way still has what it got recorded.
    outcome.usage = writer ? writer->usage() : aggregator->usage();

    if (failure) {
      outcome.error_type = failure->type;
      if (!writer || (!w.started() && out.empty())) {
        // Nothing has reached the client yet: the error is the response, with its own status.
        outcome.status = failure->status;
        co_await send_error(w, *failure, request_id);
        break;
      }
      writer->fail(*failure, out);  // after the first byte: in-band, then [DONE]
      if (co_await begin()) co_await w.end_stream(out);
      break;
    }
    if (finished) {
      if (writer) {
        writer->finish(out);
        outcome.usage = writer->usage();
        if (co_await begin()) co_await w.end_stream(out);  // the last events and the end, at once
      } else {
        net::Headers extra;
        add_served_by(extra, served);
        co_await send_json(w, 200, aggregator->result(), request_id, &extra);
      }
      if (!w.client_gone()) co_await stream.finish();  // after the client has everything
      break;
    }
    // Whatever the engine's last read gave goes out in one write.
    if (!out.empty() && !stream.buffered()) {
      if (!w.started()) {
        const bool begun = co_await begin();
        if (!begun) break;
      }
      const bool wrote = co_await w.write(out);
      if (!wrote) break;
      out.clear();
    }
  }
  w.unwatch();
  if (w.client_gone()) {
    outcome.status = 499;  // nginx's "client closed request"
    stream.cancel();
  }
}

}  // namespace quorum::node::api
