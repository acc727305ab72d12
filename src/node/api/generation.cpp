// POST /v1/chat/completions and /v1/completions: parse, ask the router for the stream of whichever holder
// serves, and write it to the client (stream_response.h) from this same coroutine: one frame for the whole
// stream, the client's leaving and the keep-alives watched from callbacks.
#include "cluster/peer_proof.h"
#include "core/stage_marks.h"
#include "node/api/endpoints.h"
#include "node/api/responses.h"
#include "node/api/stream_response.h"
#include "router/routed_stream.h"

namespace quorum::node::api {

namespace {

// The body parsed into the one copy of the request the stream keeps (shared with the router), or the error
// to answer. Not a coroutine: what parsing needs is gone before the stream starts.
Result<std::shared_ptr<const wire::GenerationRequest>> parse_generation(wire::GenerationKind kind,
                                                                        std::string& body) {
  // The body moves into the request (kept as the client's text when the scanner reads it) or is parsed
  // into a tree; either way the connection's copy is gone.
  auto parsed = wire::parse_generation_request(kind, std::move(body));
  std::string().swap(body);
  if (!parsed) return parsed.take_error();
  return std::make_shared<const wire::GenerationRequest>(std::move(parsed.value()));
}

// The stream of whichever holder serves, for a request that parses, is allowed to the caller and is
// routed; otherwise the error is answered and recorded, and the stream is null. Its own coroutine, so that
// what starting needs is gone before the (long) streaming.
net::Task<std::shared_ptr<router::RoutedStream>> open_stream(
    ApiContext& api, net::HttpRequest& req, net::ResponseWriter& w, wire::GenerationKind kind,
    const auth::Caller& caller, RequestTracker& tracker, const engines::CallContext& context) {
  auto parsed = parse_generation(kind, req.body);
  if (!parsed) {
    tracker.end(parsed.error().status, parsed.error().type);
    co_await send_error(w, parsed.error(), context.request_id);
    co_return nullptr;
  }
  std::shared_ptr<const wire::GenerationRequest> request = std::move(parsed.value());
  stage::mark(stage::Stage::kBodyParsed);
  tracker.record().model = request->model;
  if (!caller.allows(request->model)) {  // an API key scoped to other models: as if it did not exist
    const ApiError hidden = router::model_not_found(request->model);
    tracker.end(hidden.status, hidden.type);
    co_await send_error(w, hidden, context.request_id);
    co_return nullptr;
  }
  const bool allow_peers = !req.headers.has(cluster::peer_headers::kHop);
  auto routed = co_await api.router.generate(request, context, allow_peers);
  stage::mark(stage::Stage::kRouted);
  if (!routed) {
    tracker.end(routed.error().status, routed.error().type);
    co_await send_error(w, routed.error(), context.request_id);
    co_return nullptr;
  }
  co_return std::move(routed.value());
}

// The identity every chunk of the reply carries.
wire::StreamIdentity identity_of(wire::GenerationKind kind, const wire::GenerationRequest& request,
                                 const ApiSettings& settings) {
  wire::StreamIdentity identity;
  identity.id = (kind == wire::GenerationKind::kChat ? "chatcmpl-" : "cmpl-") + random_token(24);
  identity.created = unix_now();
  identity.model = request.model;
  identity.kind = kind;
  identity.include_usage = request.include_usage;
  identity.n = request.n;
  identity.reasoning_field = settings.reasoning_field;
  return identity;
}

}  // namespace

net::Task<void> serve_generation(ApiContext& api, net::HttpRequest& req, net::ResponseWriter& w,
                                 wire::GenerationKind kind, auth::Caller caller, std::string request_id) {
  RequestTracker tracker(
      api.observers, RequestRecord{kind == wire::GenerationKind::kChat ? "chat" : "completions", req.method,
                                   req.target, request_id});
  tracker.record().key_id = caller.key_id;
  tracker.record().relay_request_id = caller.relay_request_id;
  engines::CallContext context{request_id, std::make_shared<Canceller>()};
  stage::mark(stage::Stage::kRequestTracked);
  std::shared_ptr<router::RoutedStream> stream =
      co_await open_stream(api, req, w, kind, caller, tracker, context);
  if (!stream) co_return;
  // What the stream needs of the request is parsed and routed: its headers are not kept while it lasts.
  req.headers = net::Headers();
  const wire::GenerationRequest& request = stream->request();

  StreamOutcome outcome;
  co_await stream_generation(w, *stream, request.stream, api.settings.keepalive_interval,
                             identity_of(kind, request, api.settings), request_id, tracker.started(),
                             stream->served(), outcome);
  if (outcome.status == 499) context.canceller->cancel();

  tracker.record().served = stream->served();
  tracker.record().ttft_seconds = outcome.ttft_seconds;
  tracker.record().usage = outcome.usage;
  tracker.end(outcome.status, outcome.error_type);
}

}  // namespace quorum::node::api
