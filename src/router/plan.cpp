#include "router/plan.h"

#include <algorithm>

#include "router/schedule.h"

namespace quorum::router {

std::vector<Route> order_routes(std::vector<Candidate> candidates) {
  std::vector<RouteCandidate> weights;
  weights.reserve(candidates.size());
  for (const auto& c : candidates) weights.push_back({c.route.local, c.loaded, c.in_flight, c.capacity});
  std::vector<Route> ordered;
  ordered.reserve(candidates.size());
  for (size_t i : schedule(weights)) ordered.push_back(std::move(candidates[i].route));
  return ordered;
}

bool worth_another_holder(const ApiError& error, const Route& route) {
  if (error.status == 499) return false;
  if (error.status >= 500 || error.status == 429 || error.status == 404) return true;
  return !route.local && (error.status == 401 || error.status == 408);
}

TryPlan::TryPlan(std::vector<Route> routes, int max_tries, std::string model)
    : routes_(std::move(routes)),
      max_tries_(max_tries),
      model_(std::move(model)),
      last_error_(ApiError::server(503, "No engine could serve the model '" + model_ + "'.")) {
  any_peer_ = std::any_of(routes_.begin(), routes_.end(), [](const Route& r) { return !r.local; });
}

const Route* TryPlan::next(const Reachable& reachable) {
  current_ = nullptr;
  while (position_ < routes_.size()) {
    const Route& route = routes_[position_++];
    if (route.local) {
      ++tries_;  // past max_tries, this node's engines are the last resort
      return current_ = &route;
    }
    if (tries_ >= max_tries_) continue;
    if (reachable && !reachable(route.node_id)) {
      last_error_ = ApiError::server(503, route.label() + " is not answering.");
      tried_.push_back(route.label() + ": not answering");
      continue;
    }
    ++tries_;
    return current_ = &route;
  }
  return nullptr;
}

bool TryPlan::failed(const ApiError& error) {
  last_error_ = error;
  if (current_) tried_.push_back(current_->label() + ": " + error.message);
  if (current_ && worth_another_holder(error, *current_)) return true;
  // Nothing more is tried and the answer is `error` itself: the plan is over.
  position_ = routes_.size();
  return false;
}

ApiError TryPlan::final_error() const {
  if (last_error_.status < 500 || tried_.empty() || (tried_.size() == 1 && !any_peer_)) return last_error_;
  std::string names;
  for (std::string_view n : tried_) {
    while (!n.empty() && n.back() == '.') n.remove_suffix(1);
    names += (names.empty() ? "" : "; ") + std::string(n);
  }
  return ApiError::server(503,
                          "No holder of the model '" + model_ + "' could serve it. Tried " + names + ".");
}

}  // namespace quorum::router
