// POST /v1/chat/completions and /v1/completions: parse, ask the router for the stream of whichever holder
// serves, and write it to the client (stream_response.h) from this same coroutine: one frame for the whole
// stream, the client's leaving and the keep-alives watched from callbacks.
#include "cluster/peer_proof.h"
#include "node/api/endpoints.h"
#include "node/api/responses.h"
#include "node/api/stream_response.h"
#include "router/routed_stream.h"

namespace quorum::node::api {

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
  // One copy of the request for the whole stream, shared with the router; the raw body is not needed again.
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

  wire::StreamIdentity identity;
  identity.id = (kind == wire::GenerationKind::kChat ? "chatcmpl-" : "cmpl-") + random_token(24);
  identity.created = unix_now();
  identity.model = request->model;
  identity.kind = kind;
  identity.include_usage = request->include_usage;
  identity.n = request->n;
  identity.reasoning_field = api.settings.reasoning_field;

  StreamOutcome outcome;
  co_await stream_generation(w, *stream, request->stream, api.settings.keepalive_interval, identity,
                             request_id, tracker.started(), stream->served(), outcome);
  if (outcome.status == 499) context.canceller->cancel();

  tracker.record().served = stream->served();
  tracker.record().ttft_seconds = outcome.ttft_seconds;
  tracker.record().usage = outcome.usage;
  tracker.end(outcome.status, outcome.error_type);
}

}  // namespace quorum::node::api
