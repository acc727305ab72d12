// The relay dashboard's JSON API under /api/ (docs/dashboard-api.md): sign-in (password, one-time link,
// invite), the signed-in user's clusters, one cluster's snapshot and its live events (SSE), usage, the audit
// log, and the mutations (keys, invites, members). Sessions are cookies (quorum_session, HttpOnly,
// SameSite=Strict) whose SHA-256 the store keeps; every mutation passes the CSRF rule and the role rule
// (dashboard_rules.h), writes an audit entry and publishes events (dashboard_events.h). One cluster's
// endpoints are in dashboard_cluster.cpp; the JSON shapes in dashboard_wire.h.
//
// A cluster the caller is not a member of answers 404, as an unknown one does. An operator
// (User::is_operator) is an owner of every cluster. Password checks (argon2id) run on the relay's loop: about
// 0.1 s each, and failed sign-ins are limited per email and per address (SignInLimiter).
//
// One DashboardApi per relay, on the relay's one executor.
#pragma once

#include <optional>
#include <string>

#include "net/http_server.h"
#include "relay/dashboard_events.h"
#include "relay/dashboard_rules.h"
#include "relay/node_hub.h"
#include "relay/store.h"

namespace quorum::relay {

class DashboardApi {
 public:
  static constexpr UnixSeconds kInviteLifetime = 7 * 86400;
  static constexpr std::chrono::seconds kKeepAlive{15};

  DashboardApi(Store& store, NodeHub& hub, DashboardEvents& events)
      : store_(store), hub_(hub), events_(events) {}
  // The relay serves TLS: cookies are Secure and the relay's origin is https://.
  void set_tls(bool tls) { tls_ = tls; }

  // Any request whose path starts with /api/. `from_relay`: forwarded by a relay of this group, which checked
  // CSRF where the browser's request arrived (Mesh::route_cluster): not checked again, never forwarded again.
  net::Task<void> handle(net::HttpRequest& request, net::ResponseWriter& writer, bool from_relay = false);

  // Set by a relay of a group (Mesh::route_cluster): a request for one cluster, once its session and the
  // member's role are checked here, may go to the relay where the cluster's nodes are; true when it did.
  std::function<net::Task<bool>(std::string cluster_id, net::HttpRequest&, net::ResponseWriter&)>
      route_cluster;

  // The hub's callbacks (NodeHub::on_node_changed, on_usage_written): events to the cluster's streams.
  void node_changed(const ConnectedNode& node, bool online);
  void usage_written(const std::vector<UsageRecord>& rows);
  // A key made or revoked outside the dashboard (a node's `quorum keys`, through the control API): its audit
  // entry ("key.create" or "key.revoke", by `actor`, e.g. "node:<id>") and its `key` event.
  net::Task<void> key_changed_elsewhere(std::string cluster_id, std::string actor, const char* action,
                                        std::string key_id);

 private:
  struct Caller {
    User user;
  };
  bool https(const net::HttpRequest& request) const;
  std::string origin(const net::HttpRequest& request) const;

  net::Task<void> sign_in(net::HttpRequest& request, net::ResponseWriter& writer);
  net::Task<void> sign_in_link(net::HttpRequest& request, net::ResponseWriter& writer);
  net::Task<void> accept_invite(net::HttpRequest& request, net::ResponseWriter& writer,
                                std::optional<User> user);
  net::Task<void> me(const User& user, net::ResponseWriter& writer);
  net::Task<void> cluster(net::HttpRequest& request, net::ResponseWriter& writer, const User& user,
                          std::string cluster_id, std::string rest);
  net::Task<void> events(net::ResponseWriter& writer, const std::string& cluster_id,
                         const std::string& user_id, Role role);
  // The snapshot of the cluster for a member with `role`; nullopt (and the error) when the store fails.
  net::Task<Result<boost::json::object>> snapshot(const Cluster& cluster, Role role);
  // The caller's role in the cluster: nullopt when it is unknown, revoked, or the caller is not a member.
  net::Task<Result<std::optional<Role>>> role_in(const User& user, const std::string& cluster_id);
  // Writes the audit entry and publishes it (and nothing else).
  net::Task<void> audit(std::string cluster_id, std::string actor, const char* action, std::string object,
                        boost::json::object detail);

  Store& store_;
  NodeHub& hub_;
  DashboardEvents& events_;
  bool tls_ = false;
  dashboard::SignInLimiter limiter_;
};

}  // namespace quorum::relay
