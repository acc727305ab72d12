// How the node's endpoints answer: JSON bodies, errors in the OpenAI shape (status, Retry-After, the SDKs'
// x-should-retry), request ids, and the headers naming the node that served.
#pragma once

#include <boost/json/value.hpp>
#include <string>

#include "core/result.h"
#include "net/http_server.h"
#include "router/route.h"

namespace quorum::node::api {

// "req_" and 24 random characters: the id of a request in logs and in its x-request-id header.
std::string new_request_id();
// `length` random characters of [0-9a-zA-Z] (ids of completions and requests).
std::string random_token(size_t length);
int64_t unix_now();

// Content-Type: application/json, and x-request-id when `request_id` is not empty.
net::Headers json_headers(const std::string& request_id);
// x-quorum-node (name) and x-quorum-node-id of the node that served; nothing when none was chosen.
void add_served_by(net::Headers& headers, const router::Served& served);

net::Task<void> send_json(net::ResponseWriter& writer, int status, const boost::json::value& body,
                          const std::string& request_id, const net::Headers* extra = nullptr);
// The error as the response: its status, {"error": {...}}, Retry-After on 429/503, and x-should-retry: false
// on 500/502 (a deterministic failure the SDKs should not retry twice).
net::Task<void> send_error(net::ResponseWriter& writer, const ApiError& error, const std::string& request_id);
// send_error() for callers whose locals are gone by the time it runs (it owns what it sends).
net::Task<void> reply_error(net::ResponseWriter& writer, ApiError error, std::string request_id);

}  // namespace quorum::node::api
