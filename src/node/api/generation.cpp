// POST /v1/chat/completions and /v1/completions: parse, ask the router for the stream of whichever holder
// serves, and write it to the client (stream_response.h). A pump coroutine reads the routed stream into a
// bounded queue while the connection's coroutine drains it, sending keep-alives meanwhile and watching for
// the client leaving, which cancels every hop behind it.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include "cluster/peer_proof.h"
#include "node/api/endpoints.h"
#include "node/api/responses.h"
#include "node/api/stream_response.h"
#include "router/routed_stream.h"

namespace quorum::node::api {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

// Reads the routed stream into the queue until it ends or the client side closes the queue.
net::Task<void> pump(std::shared_ptr<router::RoutedStream> stream, std::shared_ptr<EventQueue> queue) {
  for (;;) {
    auto event = co_await stream->next();
    if (!event) break;
    // Named, not a temporary inside the co_await: g++ 12 mishandles such temporaries.
    QueueItem item{QueueItem::kEvent, std::move(*event)};
    if (!co_await queue->push(std::move(item))) {
      stream->cancel();
      co_return;
    }
  }
  QueueItem end{QueueItem::kEnd, {}};
  if (co_await queue->push(std::move(end))) co_await stream->finish();  // after the client has everything
}

}  // namespace

net::Task<void> serve_generation(ApiContext& api, net::HttpRequest& req, net::ResponseWriter& w,
                                 wire::GenerationKind kind, auth::Caller caller, std::string request_id) {
  RequestTracker tracker(
      api.observers, RequestRecord{kind == wire::GenerationKind::kChat ? "chat" : "completions", req.method,
                                   req.target, request_id});
  tracker.record().key_id = caller.key_id;
  tracker.record().relay_request_id = caller.relay_request_id;
  auto parsed = kind == wire::GenerationKind::kChat ? wire::parse_chat_request(req.body)
                                                    : wire::parse_completion_request(req.body);
  if (!parsed) {
    tracker.end(parsed.error().status, parsed.error().type);
    co_await send_error(w, parsed.error(), request_id);
    co_return;
  }
  // One copy of the request for the whole stream, shared with the pump; the raw body is not needed again.
  auto request = std::make_shared<const wire::GenerationRequest>(std::move(parsed.value()));
  std::string().swap(req.body);
  tracker.record().model = request->model;
  if (!caller.allows(request->model)) {  // an API key scoped to other models: as if it did not exist
    const ApiError hidden = router::model_not_found(request->model);
    tracker.end(hidden.status, hidden.type);
    co_await send_error(w, hidden, request_id);
    co_return;
  }
  const bool allow_peers = !req.headers.has(cluster::peer_headers::kHop);

  engines::CallContext context{request_id, std::make_shared<Canceller>()};
  auto routed = co_await api.router.generate(request, context, allow_peers);
  if (!routed) {
    tracker.end(routed.error().status, routed.error().type);
    co_await send_error(w, routed.error(), request_id);
    co_return;
  }
  std::shared_ptr<router::RoutedStream> stream = std::move(routed.value());

  auto executor = co_await asio::this_coro::executor;
  auto queue = std::make_shared<EventQueue>(executor, 64);
  asio::co_spawn(executor, pump(stream, queue), asio::detached);

  wire::StreamIdentity identity;
  identity.id = (kind == wire::GenerationKind::kChat ? "chatcmpl-" : "cmpl-") + random_token(24);
  identity.created = unix_now();
  identity.model = request->model;
  identity.kind = kind;
  identity.include_usage = request->include_usage;
  identity.n = request->n;
  identity.reasoning_field = api.settings.reasoning_field;

  StreamOutcome outcome;
  auto written = write_generation(w, *queue, request->stream, api.settings.keepalive_interval, identity,
                                  request_id, tracker.started(), stream->served(), outcome);
  auto result = co_await (std::move(written) || w.wait_client_gone());
  if (result.index() == 1) outcome.status = 499;  // nginx's "client closed request"
  if (w.client_gone()) {
    outcome.status = 499;
    context.canceller->cancel();
  }
  queue->close();

  tracker.record().served = stream->served();
  tracker.record().ttft_seconds = outcome.ttft_seconds;
  tracker.record().usage = outcome.usage;
  tracker.end(outcome.status, outcome.error_type);
}

}  // namespace quorum::node::api
