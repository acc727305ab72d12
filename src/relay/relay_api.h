// The relay's HTTP API (docs/relay.md): the public OpenAI endpoints for API keys, the control endpoints for
// enrolled nodes and the CLI, /health and /metrics. One RelayApi per relay, on the relay's one executor.
//
//  - POST /v1/chat/completions, /v1/completions, /v1/embeddings; GET /v1/models: `Authorization: Bearer
//    qk_…`. A missing, malformed, unknown, revoked or expired key is 401 (invalid_api_key); a model outside
//    the key's scope is 404 (model_not_found) as if it did not exist, and /v1/models lists only the key's;
//    a key over a limit is 429 with Retry-After. Then the request goes to a connected node of the key's
//    cluster that offers the model, warm and least loaded first; another holder is tried (at most
//    kMaxTries) when a node fails before its answer began; after that, the node's own answer stands (an
//    in-band error when it stops mid-stream). No holder connected: 404 model_not_found, or 503 when holders
//    are enrolled but none is connected.
//  - POST /v1/relay/enrol: a node enrols (link/relay_auth.h). Its cluster's first node presents an
//    operator's enrolment token; the others prove membership with the cluster's enrolment key.
//  - /v1/relay/keys (GET, POST), /v1/relay/keys/ID (DELETE), /v1/relay/usage, /v1/relay/nodes: signed by an
//    enrolled node's key (`Authorization: Quorum-Node …`), acting on that node's cluster.
//  - /api/…: the web dashboard's API (dashboard_api.h); GET of any other path outside /v1, /link, /health and
//    /metrics: the dashboard's page (dashboard_page.h).
//  - Bodies are never logged or stored; the relay reads a body only to find its `model`.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/recent_keys.h"
#include "net/http_server.h"
#include "relay/dashboard_api.h"
#include "relay/dashboard_events.h"
#include "relay/key_limits.h"
#include "relay/node_hub.h"
#include "relay/store.h"

namespace quorum::relay {

class Mesh;

class RelayApi {
 public:
  static constexpr int kMaxTries = 3;

  RelayApi(Store& store, NodeHub& hub, std::string relay_id);
  net::Task<void> handle(net::HttpRequest& request, net::ResponseWriter& writer);
  // The dashboard (/api/…, docs/dashboard-api.md) and its live events.
  DashboardApi& dashboard() { return dashboard_; }
  DashboardEvents& dashboard_events() { return events_; }
  // Called by the hub for each USAGE frame that names a request: charges its tokens to its key's limits.
  void usage_reported(const std::string& request_id, uint64_t tokens);
  // Set when several relays share the database (mesh.h): a /v1/* or control request of a cluster homed at
  // another relay goes there (Mesh::route, Mesh::route_control) before anything else is checked here.
  Mesh* mesh = nullptr;

 private:
  net::Task<void> public_api(net::HttpRequest& request, net::ResponseWriter& writer);
  net::Task<void> enrol(net::HttpRequest& request, net::ResponseWriter& writer);
  net::Task<void> control(net::HttpRequest& request, net::ResponseWriter& writer);
  net::Task<void> metrics(net::ResponseWriter& writer);

  Store& store_;
  NodeHub& hub_;
  std::string relay_id_;
  DashboardEvents events_;
  DashboardApi dashboard_;
  KeyAdmission admission_;
  RecentKeys control_nonces_;
  // Requests whose tokens are not charged yet, by the relay's request id: running ones (with their ticket,
  // and their tokens if the node reported them before the relay finished passing on the answer), and ended
  // ones whose usage may still come, for kPendingTtl after their end.
  struct Pending {
    std::string key_id;
    std::optional<KeyAdmission::Ticket> ticket;
    std::optional<uint64_t> tokens;
    RateClock::time_point ended;
  };
  std::map<std::string, Pending> pending_;
  // The request ended (however it did): its parallel place is given back now, its tokens charged now or
  // when they are reported.
  void settle(const std::string& request_id);
  RateClock::time_point last_sweep_{};
  uint64_t requests_total_ = 0;
  uint64_t refused_total_ = 0;
};

}  // namespace quorum::relay
