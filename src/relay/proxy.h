// One try of a client's request on one node, through a new stream of the node's relay link: the request
// goes as HTTP/1.1 over the stream (with the key it was admitted with, in X-Quorum-Relay-Key, which only
// the relay can set: a node trusts it on relay streams only), and the node's answer comes back the same way.
//
// Contract:
//  - Before the node's answer has begun (no byte sent to the client), a link that fails, a stream the node
//    refuses, or an answer of 502/503/504 is kRetry with `error` saying what happened (the node's own error
//    when it sent one): the caller tries another holder.
//  - Otherwise the answer goes to the client: a complete one as it is; a stream piece by piece as the node
//    flushes it, SSE events whole (a stream cut inside an event never hands the client half an event). A
//    stream the node stops mid-way ends with an in-band error event and [DONE] (kServed). The client leaving
//    closes the stream, which the node sees as its client leaving (kClientGone).
//  - The request is written to the stream as HTTP/1.1 text and the answer parsed from its pieces
//    (relay/node_answer.h): no socket pair on the relay's side. So the try must run on the thread of the
//    node's link session; the relay has one thread (relay_server.h).
//  - The node's head passes through (status, Content-Type, Cache-Control, X-Accel-Buffering, Retry-After,
//    x-request-id and x-quorum-*); nothing of the bodies is logged or kept.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "net/http_server.h"
#include "relay/node_hub.h"

namespace quorum::relay {

struct ProxyRequest {
  std::string method;
  std::string target;
  std::string body;
  std::string content_type;
  std::string key_id;
  std::string request_id;
};

enum class TryOutcome { kServed, kRetry, kClientGone };

// Whether a header of an answer a relay forwards (from a node, or from another relay: mesh.h) passes on to
// the client: the list above, and any x-quorum-*.
bool passes_to_client(std::string_view name);

net::Task<TryOutcome> proxy_to_node(std::shared_ptr<ConnectedNode> node, const ProxyRequest& request,
                                    net::ResponseWriter& writer, ApiError& error);

}  // namespace quorum::relay
