#include "node/api/stream_response.h"

#include <boost/asio/this_coro.hpp>

#include "node/api/responses.h"
#include "wire/sse.h"

namespace quorum::node::api {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

net::Task<void> write_generation(net::ResponseWriter& w, EventQueue& queue, bool stream,
                                 std::chrono::seconds keepalive_interval,
                                 const wire::StreamIdentity& identity, const std::string& request_id,
                                 Clock::time_point start, const router::Served& served,
                                 StreamOutcome& outcome) {
  wire::StreamWriter writer(identity);
  wire::ResponseAggregator aggregator(identity);
  bool head_sent = false;
  std::string out;
  auto last_write = Clock::now();

  auto begin = [&]() -> net::Task<bool> {
    if (head_sent) co_return true;
    head_sent = true;
    net::Headers h;
    h.add("Content-Type", "text/event-stream");
    h.add("Cache-Control", "no-cache");
    h.add("X-Accel-Buffering", "no");
    h.add("x-request-id", request_id);
    add_served_by(h, served);
    co_return co_await w.begin_stream(200, h);
  };

  for (;;) {
    co_await queue.wait_until(last_write + keepalive_interval);
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
      co_return;
    }
    if (queue.empty()) {
      if (Clock::now() < last_write + keepalive_interval) continue;
      if (stream) {
        if (!co_await begin()) co_return;
        if (!co_await w.write(wire::sse_comment("keep-alive"))) co_return;
      }
      last_write = Clock::now();
      continue;
    }

    // What ends the response, if it ends in this turn.
    std::optional<ApiError> failure;
    bool finished = false;
    while (!failure && !finished) {
      auto item = queue.pop();
      if (!item) break;
      if (item->kind == QueueItem::kEnd) {
        finished = true;
      } else if (auto* e = std::get_if<wire::StreamError>(&item->event)) {
        failure = std::move(e->error);
      } else if (auto bad = wire::malformed_event(item->event, identity.n)) {
        failure = std::move(bad);  // checked here too so that the outcome (status, error type) records it
      } else {
        if (!outcome.ttft_seconds && !std::holds_alternative<wire::Usage>(item->event)) {
          outcome.ttft_seconds = std::chrono::duration<double>(Clock::now() - start).count();
        }
        if (stream) {
          writer.on_event(item->event, out);
        } else {
          aggregator.on_event(item->event);
        }
      }
    }
    // Kept up to date, so that a client leaving mid-way still has what it got recorded.
    outcome.usage = stream ? writer.usage() : aggregator.usage();

    if (failure) {
      outcome.error_type = failure->type;
      if (!stream || (!head_sent && out.empty())) {
        // Nothing has reached the client yet: the error is the response, with its own status.
        outcome.status = failure->status;
        co_await send_error(w, *failure, request_id);
        co_return;
      }
      writer.fail(*failure, out);  // after the first byte: in-band, then [DONE]
      if (co_await begin()) co_await w.end_stream(out);
      co_return;
    }
    if (!stream) {
      if (finished) {
        net::Headers extra;
        add_served_by(extra, served);
        co_await send_json(w, 200, aggregator.result(), request_id, &extra);
        co_return;
      }
      continue;
    }
    if (finished) {
      writer.finish(out);
      outcome.usage = writer.usage();
      if (co_await begin()) co_await w.end_stream(out);  // the last events and the end, in one write
      co_return;
    }
    if (!out.empty()) {
      if (!co_await begin()) co_return;
      bool ok = co_await w.write(out);
      out.clear();
      if (!ok) co_return;
      last_write = Clock::now();
    }
  }
}

}  // namespace quorum::node::api
