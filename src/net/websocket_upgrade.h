// For the HTTP server only: turns an accepted connection whose request asks for a WebSocket into one.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>

#include "net/websocket.h"

namespace quorum::net {

// True when the request asks to upgrade to a WebSocket.
bool is_websocket_upgrade(const boost::beast::http::request<boost::beast::http::string_body>& request);

// Answers the upgrade request (choosing `subprotocol`, which the client must offer; without it the answer is
// 400 and the connection closes) and returns the WebSocket; nullopt when the handshake fails.
Task<std::optional<WebSocket>> accept_websocket(
    boost::beast::tcp_stream stream, boost::beast::http::request<boost::beast::http::string_body> request,
    std::string subprotocol, std::string remote_address, WebSocketOptions options);

}  // namespace quorum::net
