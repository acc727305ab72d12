// The heads of HTTP/1.x messages, written as text: the bytes Beast's serializer gives for the same message
// (tests/unit/net/http_head_test.cpp holds them to that), without building a field list and a serializer for
// each one. For the heads written once or twice per request: a stream's response head, an engine's request.
//
// Headers are written in order; a name given again replaces the earlier value (as Beast's `set` does, the
// later one in its place); values are trimmed of spaces and tabs at both ends. Framing headers of the caller
// (Content-Length, Transfer-Encoding and, in a response, Connection) are left out: the framing is the
// writer's.
#pragma once

#include <string>
#include <string_view>

#include "net/http_types.h"

namespace quorum::net {

// Appends to `out` a response head: the status line for `status` and `version` (10 or 11), `headers`, then
// "Connection: close" for an HTTP/1.1 response that ends the connection, "Connection: keep-alive" for an
// HTTP/1.0 one that keeps it, "Transfer-Encoding: chunked" when `chunked`; then the empty line. As Beast
// writes an http::response<empty_body> given keep_alive() and chunked().
void append_response_head(std::string& out, int status, unsigned version, const Headers& headers,
                          bool keep_alive, bool chunked);

// Appends to `out` an HTTP/1.1 request head: the request line, Host and User-Agent (which `headers` may
// replace), `headers`, then Content-Length: `body_size` unless the body is empty and the method is one that
// needs none (not POST, PUT or OPTIONS); then the empty line. As Beast writes an http::request<string_body>
// after prepare_payload().
void append_request_head(std::string& out, std::string_view method, std::string_view target,
                         std::string_view host, std::string_view user_agent, const Headers& headers,
                         size_t body_size);

}  // namespace quorum::net
