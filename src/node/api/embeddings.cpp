// POST /v1/embeddings: parse, ask the router (same holders, order and retries as generation), re-encode as
// the client asked, answer. The client leaving cancels the try under way.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include "cluster/peer_proof.h"
#include "net/handoff.h"
#include "node/api/endpoints.h"
#include "node/api/responses.h"
#include "wire/embedding_encoding.h"

namespace quorum::node::api {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

namespace {

using Answer = Result<router::Router::Embeddings>;

// The router's answer, handed over through a queue so that waiting for it can race the client leaving
// without abandoning the router's call half-way (it ends by itself once cancelled).
net::Task<void> compute(router::Router& router, wire::EmbeddingRequest request, engines::CallContext context,
                        bool allow_peers, std::shared_ptr<net::Handoff<Answer>> answer) {
  auto result = co_await router.embed(std::move(request), std::move(context), allow_peers);
  co_await answer->push(std::move(result));
}

net::Task<std::optional<Answer>> wait_answer(net::Handoff<Answer>& answer) {
  while (answer.empty()) {
    co_await answer.wait_until(Clock::time_point::max());
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
      co_return std::nullopt;
    }
  }
  co_return answer.pop();
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
  const auto start = Clock::now();
  RequestRecord record{"embeddings", req.method, req.target, request_id};
  auto finish = [&](int status, const std::string& error_type) {
    record.status = status;
    record.error_type = error_type;
    record.duration_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    api.observers.request_done(record);
  };
  auto parsed = wire::parse_embedding_request(req.body);
  if (!parsed) {
    finish(parsed.error().status, parsed.error().type);
    co_await send_error(w, parsed.error(), request_id);
    co_return;
  }
  std::string().swap(req.body);
  record.model = parsed->model;
  const bool allow_peers = !req.headers.has(cluster::peer_headers::kHop);

  auto executor = co_await asio::this_coro::executor;
  engines::CallContext context{request_id, std::make_shared<Canceller>()};
  auto answer = std::make_shared<net::Handoff<Answer>>(executor, 1);
  const wire::EmbeddingRequest& request = parsed.value();
  asio::co_spawn(executor, compute(api.router, request, context, allow_peers, answer), asio::detached);
  auto raced = co_await (wait_answer(*answer) || w.wait_client_gone());
  if (raced.index() != 0 || !std::get<0>(raced) || w.client_gone()) {
    context.canceller->cancel();
    answer->close();
    finish(499, "");
    co_return;
  }
  Answer result = std::move(*std::get<0>(raced));
  if (!result) {
    finish(result.error().status, result.error().type);
    co_await send_error(w, result.error(), request_id);
    co_return;
  }
  record.served = result->served;
  record.usage.prompt_tokens = shape_for_client(result->response, request);
  net::Headers extra;
  add_served_by(extra, result->served);
  co_await send_json(w, 200, result->response, request_id, &extra);
  finish(200, "");
}

}  // namespace quorum::node::api
