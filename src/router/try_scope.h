// TryScope: one try of a request on one route, for as long as it lasts (Envoy's "upstream request"). It
// counts the try's load (this node's in-flight count, or the requests forwarded to the peer), gives the try
// its own canceller — cancelled when the request's is (the client left) or when the peer serving it stops
// answering — and says whether the peer was lost. Internal to the router.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "core/cancel.h"
#include "core/subscription.h"
#include "engines/backend.h"
#include "router/route.h"

namespace quorum::router {

class Router;

class TryScope {
 public:
  // Counts the load and arms the peer watch; `request` is the request's own canceller.
  TryScope(Router& router, const Route& route, const CancellerPtr& request,
           const boost::asio::any_io_executor& executor);
  ~TryScope();
  TryScope(const TryScope&) = delete;
  TryScope& operator=(const TryScope&) = delete;

  const Route& route() const { return route_; }
  // The context to call the backend with: the request's id, this try's canceller.
  engines::CallContext context(const std::string& request_id) const { return {request_id, canceller_}; }
  // The peer serving this try stopped answering (its heartbeats failed) while it ran.
  bool peer_lost() const { return *peer_lost_; }
  // What the client is told then, whatever the cancelled connection said.
  ApiError lost_error() const;

 private:
  Router& router_;
  Route route_;
  CancellerPtr canceller_ = std::make_shared<Canceller>();
  std::shared_ptr<bool> peer_lost_ = std::make_shared<bool>(false);
  Subscription watch_;
};

}  // namespace quorum::router
