// What can go wrong while the server reads a request, and what the client is told: a pure mapping, so that
// which status answers which fault is tested without sockets.
//
// Faults that leave nobody to answer (the client closed or reset the connection, or a connection sat idle
// without sending a byte) close the connection silently. Every other fault is answered once, in the API's
// error shape, and then the connection closes (with a lingering close, so that the client reads the answer).
#pragma once

#include <boost/system/error_code.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace quorum::net {

enum class ReadFault {
  kGone,          // closed, reset, or idle without a byte: no answer
  kTimedOut,      // part of a request arrived, not the rest in time: 408
  kHeadTooLarge,  // request line and headers over the limit: 431
  kBodyTooLarge,  // body over the limit, declared or read: 413
  kMalformed,     // not HTTP/1.x as RFC 9112 has it (request line, header, chunk framing): 400
};

// The fault behind a failed read. `ec`: the read's error (Beast's http::error codes, or the socket's);
// `timed_out`: the read was cut by the server's deadline; `got_bytes`: some of this request had arrived.
ReadFault classify_read_error(const boost::system::error_code& ec, bool timed_out, bool got_bytes);

struct FaultAnswer {
  int status;
  std::string body;  // {"error":{"message","type","param","code"}}
};

// The answer to `fault`, or nullopt for kGone. `max_body_bytes` and `max_header_bytes` are named in the
// messages of 413 and 431.
std::optional<FaultAnswer> answer_for(ReadFault fault, size_t max_body_bytes, size_t max_header_bytes);

// {"error":{"message":MESSAGE,"type":TYPE,"param":null,"code":CODE}}, CODE null when empty. The arguments
// are written as they are: they must need no JSON escaping (the server's own fixed texts).
std::string plain_error_json(std::string_view message, std::string_view type, std::string_view code);

}  // namespace quorum::net
