// What the dashboard's API and the relay's control API read from a client's request: the path and query of
// its target, its JSON body, and the fields of that body (docs/dashboard-api.md). Pure, apart from the
// store and the sockets, so that it is unit-tested (tests/unit/relay/dashboard_rules_test.cpp) and fuzzed
// (fuzz/dashboard.cpp) alone; dashboard_wire.h, which includes it, has what the API sends back.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relay/accounts.h"
#include "relay/key_limits.h"

namespace quorum::relay::dashboard_wire {

// The path of a request target (no query); a query parameter's raw value ("" when absent).
std::string_view path_of(std::string_view target);
std::string query_value(std::string_view target, std::string_view name);
// The body as a JSON object; nullopt when it is not one.
std::optional<boost::json::object> body_object(const std::string& body);
// A string field of at most `max` bytes ("" otherwise); an integer field (nullopt when absent or not one).
std::string text_of(const boost::json::object& o, std::string_view key, size_t max = 1024);
std::optional<int64_t> int_of(const boost::json::object& o, std::string_view key);

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

}  // namespace quorum::relay::dashboard_wire
