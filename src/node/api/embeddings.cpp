// POST /v1/embeddings: parse, ask the router (same holders, order and retries as generation), re-encode as
// the client asked, answer. The client leaving cancels the try under way.
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include "cluster/peer_proof.h"
#include "node/api/endpoints.h"
#include "node/api/responses.h"
#include "wire/embedding_encoding.h"

namespace quorum::node::api {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;

namespace {

using Answer = Result<router::Router::Embeddings>;

// The router's answer into `out`. Deaf to Asio's cancellation (the race below would emit it when the client
// leaves): the request's Canceller stops the engine call instead, and the router's tries end by themselves.
net::Task<void> embed_into(router::Router& router, wire::EmbeddingRequest request,
                           engines::CallContext context, bool allow_peers, std::optional<Answer>& out) {
  co_await asio::this_coro::reset_cancellation_state(asio::disable_cancellation());
  out.emplace(co_await router.embed(std::move(request), std::move(context), allow_peers));
}

// Completes when the client leaves, cancelling the request's engine call at once (the router's call then ends
// by itself, and the race below waits for it).
net::Task<void> cancel_when_client_leaves(net::ResponseWriter& writer, CancellerPtr canceller) {
  co_await writer.wait_client_gone();
  canceller->cancel();
}

// The engine's answer as the client sees it: the model as the client named it, vectors encoded as asked.
// Returns the prompt tokens it reports.
int64_t shape_for_client(json::object& response, const wire::EmbeddingRequest& request) {
  response["model"] = request.model;
  if (auto data = response.find("data"); data != response.end() && data->value().is_array()) {
    for (auto& item : data->value().get_array()) {
      if (!item.is_object()) continue;
      auto& emb = item.get_object();
      if (auto e = emb.find("embedding"); request.base64 && e != emb.end() && e->value().is_array()) {
        e->value() = wire::floats_to_base64(e->value().get_array());
      }
    }
  }
  if (auto u = response.find("usage"); u != response.end() && u->value().is_object()) {
    const auto& usage = u->value().get_object();
    if (auto p = usage.find("prompt_tokens"); p != usage.end() && p->value().is_int64()) {
      return p->value().get_int64();
    }
  }
  return 0;
}

}  // namespace

net::Task<void> serve_embeddings(ApiContext& api, net::HttpRequest& req, net::ResponseWriter& w,
                                 auth::Caller caller, std::string request_id) {
  RequestTracker tracker(api.observers, RequestRecord{"embeddings", req.method, req.target, request_id});
  tracker.record().key_id = caller.key_id;
  tracker.record().relay_request_id = caller.relay_request_id;
  auto parsed = wire::parse_embedding_request(req.body);
  if (!parsed) {
    tracker.end(parsed.error().status, parsed.error().type);
    co_await send_error(w, parsed.error(), request_id);
    co_return;
  }
  std::string().swap(req.body);
  tracker.record().model = parsed->model;
  if (!caller.allows(parsed->model)) {  // an API key scoped to other models: as if it did not exist
    const ApiError hidden = router::model_not_found(parsed->model);
    tracker.end(hidden.status, hidden.type);
    co_await send_error(w, hidden, request_id);
    co_return;
  }
  const bool allow_peers = !req.headers.has(cluster::peer_headers::kHop);

  engines::CallContext context{request_id, std::make_shared<Canceller>()};
  const wire::EmbeddingRequest& request = parsed.value();
  std::optional<Answer> answer;
  co_await (embed_into(api.router, request, context, allow_peers, answer) ||
            cancel_when_client_leaves(w, context.canceller));
  if (!answer || w.client_gone()) {
    context.canceller->cancel();
    tracker.end(499);
    co_return;
  }
  Answer& result = *answer;
  if (!result) {
    tracker.end(result.error().status, result.error().type);
    co_await send_error(w, result.error(), request_id);
    co_return;
  }
  tracker.record().served = result->served;
  tracker.record().usage.prompt_tokens = shape_for_client(result->response, request);
  net::Headers extra;
  add_served_by(extra, result->served);
  co_await send_json(w, 200, result->response, request_id, &extra);
  tracker.end(200);
}

}  // namespace quorum::node::api
