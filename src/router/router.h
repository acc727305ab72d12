// Router: where a request goes (ARCHITECTURE.md "Routing"; docs/api.md "Where a request goes"). It finds
// the holders of a model (this node's engines, and the reachable peers unless the request was forwarded to
// us), orders them (plan.h), and runs the tries: another holder after a failure before the first event, never
// the one that failed, at most --max-retries holders, this node's engines as the last resort; the load of
// every try counted (this node's in-flight generations, the requests forwarded to each peer); a try on a peer
// that stops answering is cancelled at once; the client leaving (the request's canceller) cancels the try
// under way. Chat, completions and embeddings all go through it.
//
// Dependencies are narrow: the engine registry, a PeerDirectory (null outside a cluster), options.
// Threading: one Router serves every server thread; a call runs on the caller's executor, and so does the
// stream it returns.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engines/registry.h"
#include "router/peer_directory.h"
#include "router/plan.h"
#include "router/route.h"

namespace quorum::router {

class RoutedStream;

// 404 model_not_found: nothing in reach offers `model`.
ApiError model_not_found(const std::string& model);

struct RouterOptions {
  std::string self_id;  // this node, as responses name it
  std::string self_name;
  int max_retries = 3;  // holders tried at most (this node's engines are still tried after them)
  int capacity = 0;     // generations this node serves well at once; 0: the engines' capacity()
  // A try started serving (+1: a generation once its engine accepted the request, an embeddings try when it
  // starts) or ended (-1): the node's gauge of requests in flight per engine. Optional.
  std::function<void(const Served&, const std::string& model, int delta)> on_serving;
};

class Router {
 public:
  Router(engines::EngineRegistry& engines, RouterOptions options);
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // The cluster's peers; null (the default) outside a cluster or once the cluster is gone. Any thread.
  void set_peers(PeerDirectory* peers) { peers_.store(peers); }

  // The holders of `model` in the order to try them. When none is known, the engines' model lists are
  // refreshed once (a model file just added, an engine just started) and the plan made again. Empty:
  // answer with no_holder_error().
  Task<std::vector<Route>> find_routes(const std::string& model, bool allow_peers);
  // Nobody that answers holds `model`: 503 naming the peers (with `allow_peers`) or this node's engines
  // that held it and stopped answering, else 404 model_not_found.
  ApiError no_holder_error(const std::string& model, bool allow_peers) const;

  // A chat or text completion. Fails at once with no_holder_error() when nothing holds the model. Otherwise
  // the stream's events are those of the holder that serves: failures before the first event are retried on
  // the next holder inside next(), and when every holder failed next() yields one StreamError with the error
  // to answer (503 naming each holder tried, or the client's own mistake as the engine said it).
  Task<Result<std::unique_ptr<RoutedStream>>> generate(std::shared_ptr<const wire::GenerationRequest> request,
                                                       engines::CallContext context, bool allow_peers);

  struct Embeddings {
    boost::json::object response;  // as the engine answered (float arrays; the model id the engine knows)
    Served served;
  };
  // Embeddings, tried on the holders by the same rules.
  Task<Result<Embeddings>> embed(wire::EmbeddingRequest request, engines::CallContext context,
                                 bool allow_peers);

  // Generations (and embeddings) on this node's own engines now, and how many it serves well at once: what
  // this node tells its peers and what the schedule weighs for it.
  int local_in_flight() const { return local_in_flight_.load(); }
  int local_capacity() const;

 private:
  friend class RoutedStream;
  friend class TryScope;
  std::vector<Route> plan(const std::string& model, bool allow_peers) const;
  PeerDirectory* peers() const { return peers_.load(); }
  // What a TryPlan asks before trying a peer: is it reachable now (outside a cluster, nothing is a peer).
  TryPlan::Reachable reachability() const;
  // A try on `route` starts (+1) or ends (-1).
  void count(const Route& route, int delta);

  engines::EngineRegistry& engines_;
  RouterOptions options_;
  std::atomic<PeerDirectory*> peers_{nullptr};
  std::atomic<int> local_in_flight_{0};
};

}  // namespace quorum::router
