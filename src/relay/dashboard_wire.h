// What the dashboard's API (dashboard_api.h) reads from requests and sends back: its error shape, its JSON
// answers, and the JSON shape of each object (docs/dashboard-api.md: users, keys, members, invites, audit
// entries, usage rows, nodes). The shapes are pure (tests/unit/relay/dashboard_rules_test.cpp); fields the
// relay does not know are null, never missing.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_server.h"
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

// The path of a request target (no query); a query parameter's raw value ("" when absent).
std::string_view path_of(std::string_view target);
std::string query_value(std::string_view target, std::string_view name);
// The body as a JSON object; nullopt when it is not one.
std::optional<boost::json::object> body_object(const std::string& body);
// A string field of at most `max` bytes ("" otherwise); an integer field (nullopt when absent or not one).
std::string text_of(const boost::json::object& o, std::string_view key, size_t max = 1024);
std::optional<int64_t> int_of(const boost::json::object& o, std::string_view key);
boost::json::value opt(const std::optional<int64_t>& v);

// What a request to make an API key asks for ({"name","models","rpm","tpm","max_parallel","expires_at"}), as
// the dashboard and `quorum keys create` (the control API) send it: a limit that is absent, not an integer
// or not above 0 is none; models that are not strings are left out; a name of at most kMaxTextBytes.
struct KeyRequest {
  std::string name;
  KeyLimits limits;
  std::vector<std::string> models;
  std::optional<UnixSeconds> expires_at;
};
KeyRequest key_request(const boost::json::object& body);

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
