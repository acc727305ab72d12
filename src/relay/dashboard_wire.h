// What the dashboard's API (dashboard_api.h) sends back: its error shape, its JSON answers, and the JSON
// shape of each object (docs/dashboard-api.md: users, keys, members, invites, audit entries, usage rows,
// nodes); and the usage range a request asks for. What it reads from a request's target and body is
// dashboard_read.h, included here. The shapes are pure (tests/unit/relay/dashboard_rules_test.cpp); fields
// the relay does not know are null, never missing.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_server.h"
#include "relay/dashboard_read.h"
#include "relay/node_hub.h"
#include "relay/store.h"

namespace quorum::relay::dashboard_wire {

// {"error":{"message","type","code"}} with `status`: the type follows the status (authentication_error,
// permission_error, server_error, invalid_request_error).
ApiError error(int status, std::string code, std::string message);
// A JSON answer (Cache-Control: no-store), and an error one. (Callers name what they pass: g++ 12
// mishandles temporaries in a co_await expression.)
net::Task<void> send_json(net::ResponseWriter& writer, int status, const boost::json::value& body,
                          net::Headers headers = {});
net::Task<void> send_error(net::ResponseWriter& writer, const ApiError& e, net::Headers headers = {});

// The days a usage request asks for (?from=YYYY-MM-DD&to=YYYY-MM-DD): the last 30 days up to `now`'s by
// default; the store checks their shape.
struct UsageDays {
  std::string from;
  std::string to;
};
UsageDays usage_days(std::string_view target, UnixSeconds now);

boost::json::object user_json(const User& u);
boost::json::object key_json(const ApiKey& k, UnixSeconds now);
boost::json::object member_json(const Membership& m);
boost::json::object invite_json(const Invite& i);
boost::json::object audit_json(const AuditEntry& a);
boost::json::object usage_json(const UsageRecord& r);
// A node as the dashboard shows it: what the store knows and, when it is connected (`live`), what its link
// and last STATUS say.
boost::json::object node_json(const std::string& id, const std::string& name, bool revoked,
                              std::optional<UnixSeconds> last_seen, const ConnectedNode* live);

}  // namespace quorum::relay::dashboard_wire
