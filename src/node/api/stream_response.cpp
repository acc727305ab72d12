#include "node/api/stream_response.h"

#include "core/spare_room.h"
#include "core/stage_marks.h"
#include "node/api/responses.h"
#include "wire/sse.h"

namespace quorum::node::api {

namespace {

// The head of the stream, naming whoever serves now.
net::Task<bool> begin_stream(net::ResponseWriter& w, const std::string& request_id,
                             const router::Served& served) {
  net::Headers h;
  h.reserve(6);
  h.add("Content-Type", "text/event-stream");
  h.add("Cache-Control", "no-cache");
  h.add("X-Accel-Buffering", "no");
  h.add("x-request-id", request_id);
  add_served_by(h, served);
  co_return co_await w.begin_stream(200, h);
}

}  // namespace

net::Task<void> stream_generation(net::ResponseWriter& w, engines::EventStream& stream, bool stream_mode,
                                  std::chrono::seconds keepalive_interval,
                                  const wire::StreamIdentity& identity, const std::string& request_id,
                                  std::chrono::steady_clock::time_point start, const router::Served& served,
                                  StreamOutcome& outcome) {
  // Everything but the I/O is in `reply`; this frame stays small for the stream's whole life.
  GenerationReply reply(stream_mode, identity, start, outcome);
  w.watch([&stream] { stream.cancel(); }, stream_mode ? keepalive_interval : std::chrono::seconds(0),
          stream_mode ? wire::sse_comment("keep-alive") : std::string());
  // The head is made now (a keep-alive comment may have to carry it) and made again before the first write
  // only when the stream moved to another node before its first event, so that it names the one serving.
  std::string head_names;  // the node_id the head made names
  if (stream_mode) {
    co_await begin_stream(w, request_id, served);
    head_names = served.node_id;
    stage::mark(stage::Stage::kStreamBegun);
  }
  // Whether the head must be made (again) before the first bytes go out.
  auto head_is_stale = [&] { return !w.started() && (!stream_mode || served.node_id != head_names); };

  bool done = false;
  while (!done) {
    // The events of a read already made are taken as they are; then this frame waits for the engine's next
    // read itself (no frame of the stream's per token), or next() does all for a stream that cannot.
    std::optional<wire::StreamEvent> event;
    while (!w.client_gone() && !stream.poll(event)) {
      if (!stream.waits()) {
        event = co_await stream.next();
        break;
      }
      co_await stream.wait();
    }
    if (w.client_gone()) break;
    switch (reply.on(std::move(event), w.started())) {
      case GenerationReply::Next::kRead:
        break;
      case GenerationReply::Next::kWrite: {
        if (stream.buffered()) break;  // the events of the same read go out together
        if (head_is_stale()) {
          const bool begun = co_await begin_stream(w, request_id, served);
          if (!begun) {
            done = true;
            break;
          }
          head_names = served.node_id;
        }
        // At once when the client takes it (no frame of the writer's), else the rest in write().
        bool wrote = w.write_now(reply.out());
        if (!wrote) wrote = co_await w.write({});
        // Not kept between writes: an open stream waiting for its next token holds no buffer of its own.
        give_room(reply.out());
        if (!wrote) done = true;
        break;
      }
      case GenerationReply::Next::kEndStream: {
        done = true;
        if (head_is_stale()) {
          const bool begun = co_await begin_stream(w, request_id, served);
          if (!begun) break;
          head_names = served.node_id;
        }
        const bool ended = co_await w.end_stream(reply.out());  // the last events and the end, at once
        if (ended) co_await stream.finish();                    // after the client has everything
        break;
      }
      case GenerationReply::Next::kSendError:
        done = true;
        co_await send_error(w, reply.error(), request_id);
        break;
      case GenerationReply::Next::kSendObject: {
        done = true;
        net::Headers extra;
        add_served_by(extra, served);
        co_await send_json(w, 200, reply.result(), request_id, &extra);
        if (!w.client_gone()) co_await stream.finish();
        break;
      }
    }
  }
  w.unwatch();
  if (w.client_gone()) {
    outcome.status = 499;  // nginx's "client closed request"
    stream.cancel();
  }
}

}  // namespace quorum::node::api
