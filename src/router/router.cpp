#include "router/router.h"

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.h"
#include "router/plan.h"
#include "router/routed_stream.h"
#include "router/try_scope.h"

namespace quorum::router {

namespace asio = boost::asio;

ApiError model_not_found(const std::string& model) {
  return ApiError::not_found(
      "The model '" + model +
          "' does not exist on this node. List the available models with GET /v1/models "
          "(or `quorum models`).",
      "model", "model_not_found");
}

namespace {

// Reports one try of an embeddings request to RouterOptions::on_serving (+1 now, -1 when it ends): an engine
// computes embeddings in one call, so the try is serving from its start to its end.
class ServingReport {
 public:
  using Report = std::function<void(const Served&, const std::string& model, int delta)>;
  ServingReport(const Report& report, Served served, std::string model)
      : report_(report), served_(std::move(served)), model_(std::move(model)) {
    if (report_) report_(served_, model_, +1);
  }
  ~ServingReport() {
    if (report_) report_(served_, model_, -1);
  }
  ServingReport(const ServingReport&) = delete;
  ServingReport& operator=(const ServingReport&) = delete;

 private:
  const Report& report_;
  Served served_;
  std::string model_;
};

}  // namespace

Router::Router(engines::EngineRegistry& engines, RouterOptions options)
    : engines_(engines), options_(std::move(options)) {}

int Router::local_capacity() const {
  return options_.capacity > 0 ? options_.capacity : engines_.capacity();
}

std::vector<Route> Router::plan(const std::string& model, bool allow_peers) const {
  auto local = engines_.holders(model);
  PeerDirectory* directory = allow_peers ? peers() : nullptr;
  std::vector<PeerCandidate> peer_holders;
  if (directory) peer_holders = directory->holders(model);
  std::vector<Route> routes;
  if (peer_holders.empty()) {
    // The engine registry's order (warm first) is already the schedule's: no need for this node's capacity,
    // which walks every engine.
    routes.reserve(local.size());
    for (auto& h : local) {
      routes.push_back(Route{std::move(h.backend), h.model.id, true, options_.self_id, options_.self_name});
    }
    return routes;
  }
  const int in_flight = local_in_flight();
  const int capacity = local_capacity();
  std::vector<Candidate> candidates;
  candidates.reserve(local.size() + peer_holders.size());
  for (auto& h : local) {
    Route route{std::move(h.backend), h.model.id, true, options_.self_id, options_.self_name};
    candidates.push_back({std::move(route), h.model.loaded, in_flight, capacity});
  }
  for (auto& p : peer_holders) {
    auto backend = directory->backend_for(p.id);
    if (!backend) continue;
    candidates.push_back(
        {Route{std::move(backend), model, false, p.id, p.name}, p.loaded, p.in_flight, p.capacity});
  }
  return order_routes(std::move(candidates));
}

Task<std::vector<Route>> Router::find_routes(const std::string& model, bool allow_peers) {
  auto routes = plan(model, allow_peers);
  if (routes.empty()) {
    co_await engines_.refresh_if_older(std::chrono::milliseconds(1000));
    routes = plan(model, allow_peers);
  }
  co_return routes;
}

ApiError Router::no_holder_error(const std::string& model, bool allow_peers) const {
  if (PeerDirectory* directory = allow_peers ? peers() : nullptr) {
    auto nodes = directory->unreachable_holders(model);
    if (!nodes.empty()) {
      std::string names;
      for (const auto& n : nodes) names += (names.empty() ? "node '" : ", node '") + n + "'";
      return ApiError::server(503,
                              "The model '" + model + "' is held by " + names + ", which is not answering.");
    }
  }
  auto offline = engines_.offline_holders(model);
  if (offline.empty()) return model_not_found(model);
  std::string names;
  for (const auto& e : offline) {
    names += (names.empty() ? "" : "; ") + ("engine '" + e.name + "' at " + e.location);
    if (!e.last_error.empty()) names += " (" + e.last_error + ")";
  }
  return ApiError::server(503,
                          "The model '" + model + "' is served by " + names + ", which is not answering.");
}

TryPlan::Reachable Router::reachability() const {
  return [directory = peers()](const std::string& id) { return !directory || directory->is_reachable(id); };
}

void Router::count(const Route& route, int delta) {
  if (route.local) {
    local_in_flight_ += delta;
  } else if (PeerDirectory* directory = peers()) {
    directory->forwarding(route.node_id, delta);
  }
}

Task<Result<std::unique_ptr<RoutedStream>>> Router::generate(
    std::shared_ptr<const wire::GenerationRequest> request, engines::CallContext context, bool allow_peers) {
  auto routes = co_await find_routes(request->model, allow_peers);
  if (routes.empty()) co_return no_holder_error(request->model, allow_peers);
  TryPlan tries(std::move(routes), options_.max_retries, request->model);
  co_return std::make_unique<RoutedStream>(*this, std::move(tries), std::move(request), std::move(context));
}

Task<Result<Router::Embeddings>> Router::embed(wire::EmbeddingRequest request, engines::CallContext context,
                                               bool allow_peers) {
  auto routes = co_await find_routes(request.model, allow_peers);
  if (routes.empty()) co_return no_holder_error(request.model, allow_peers);
  TryPlan tries(std::move(routes), options_.max_retries, request.model);
  auto executor = co_await asio::this_coro::executor;
  const auto reachable = reachability();
  while (const Route* route = tries.next(reachable)) {
    if (context.canceller->cancelled()) break;
    TryScope attempt(*this, *route, context.canceller, executor);
    const ServingReport serving(options_.on_serving, Served::by(*route), request.model);
    wire::EmbeddingRequest upstream = request;
    upstream.body["model"] = route->model;
    upstream.model = route->model;
    // Named, not a temporary inside the co_await: g++ 12 mishandles such temporaries.
    const engines::CallContext attempt_context = attempt.context(context.request_id);
    auto result = co_await route->backend->embed(upstream, attempt_context);
    if (result) co_return Embeddings{std::move(result.value()), Served::by(*route)};
    ApiError error = attempt.peer_lost() ? attempt.lost_error() : result.take_error();
    if (!tries.failed(error)) co_return error;
    log::warn(route->label() + " failed to compute embeddings: " + error.message);
  }
  if (context.canceller->cancelled()) {
    co_return ApiError::client_closed();
  }
  co_return tries.final_error();
}

// ---- TryScope ----

TryScope::TryScope(Router& router, const Route& route, const CancellerPtr& request,
                   const asio::any_io_executor& executor)
    : router_(router), route_(route) {
  router_.count(route_, +1);
  request->on_cancel([c = canceller_] { c->cancel(); });
  if (PeerDirectory* directory = route_.local ? nullptr : router_.peers()) {
    watch_ = directory->watch(route_.node_id, executor,
                              [c = std::weak_ptr<Canceller>(canceller_), lost = peer_lost_] {
                                *lost = true;
                                if (auto live = c.lock()) live->cancel();
                              });
  }
}

TryScope::~TryScope() {
  router_.count(route_, -1);
}

ApiError TryScope::lost_error() const {
  return ApiError::server(502,
                          route_.label() + " stopped answering (its heartbeats failed) during the request.");
}

}  // namespace quorum::router
