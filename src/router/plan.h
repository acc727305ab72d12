// The router's rules as pure code (ARCHITECTURE.md "Routing"; docs/api.md "Where a request goes"): the order
// in which a model's holders are tried, which failures are worth another holder, how many holders are tried,
// and what the client is told when every one failed. No I/O, no clocks: unit-tested in
// tests/unit/router/plan_test.cpp.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "router/route.h"

namespace quorum::router {

// A holder of the model as the schedule weighs it.
struct Candidate {
  Route route;
  bool loaded = false;  // warm
  int in_flight = 0;    // of the node that holds it
  int capacity = 1;
};

// The candidates in the order to try them (schedule.h): this node first when it is a warm, free holder;
// warm before cold; the least loaded; this node before peers; otherwise the given order.
std::vector<Route> order_routes(std::vector<Candidate> candidates);

// Whether a failure before the first event is worth another holder: the server's failures and "busy" are;
// "no such model" is too (a peer's model list changed since its last heartbeat, or an engine's since its
// last refresh), and so are a peer's refusals of the forwarded request (401, 408). The client's own mistakes
// (other 4xx) and its leaving (499) are not.
bool worth_another_holder(const ApiError& error, const Route& route);

// The tries of one request (steps 3 to 5 of "Routing"). Usage:
//   TryPlan plan(routes, max_retries, model);
//   while (const Route* route = plan.next(reachable)) {
//     ...try it; on a failure before the first event: if (!plan.failed(error)) answer with error as is...
//   }
//   answer with std::move(plan).final_error();
class TryPlan {
 public:
  using Reachable = std::function<bool(const std::string& node_id)>;

  // `routes` in the order to try them; `max_tries` (--max-retries) bounds how many holders are tried, but
  // this node's own engines are still tried after that, as the last resort.
  TryPlan(std::vector<Route> routes, int max_tries, std::string model);

  // The next route to try, or null when none is left. A peer is checked with `reachable` first (it may have
  // stopped answering since the plan was made, while an earlier holder took its time to fail); one that is
  // not reachable is recorded as tried ("not answering") and skipped without counting as a try.
  const Route* next(const Reachable& reachable);
  // The route last returned by next() failed before its first event. True: the next holder is worth a try
  // (the failure is recorded for the final error). False: `error` is the answer as it is (the client's own
  // mistake, or the client left); stop trying.
  bool failed(const ApiError& error);
  // Once next() returned null: 503 naming every holder tried and why; a single local engine's own error is
  // clear enough alone and is kept as it is; with nothing tried, 503 "no engine could serve".
  ApiError final_error() const;

  int tries() const { return tries_; }
  const std::vector<std::string>& tried() const { return tried_; }

 private:
  std::vector<Route> routes_;
  size_t position_ = 0;
  int max_tries_;
  std::string model_;
  int tries_ = 0;
  bool any_peer_ = false;
  const Route* current_ = nullptr;
  ApiError last_error_;
  std::vector<std::string> tried_;  // "LABEL: why", in order
};

}  // namespace quorum::router
