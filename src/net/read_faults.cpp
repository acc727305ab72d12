#include "net/read_faults.h"

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

namespace quorum::net {

namespace http = boost::beast::http;

ReadFault classify_read_error(const boost::system::error_code& ec, bool timed_out, bool got_bytes) {
  if (timed_out) return got_bytes ? ReadFault::kTimedOut : ReadFault::kGone;
  if (ec == http::error::header_limit) return ReadFault::kHeadTooLarge;
  if (ec == http::error::body_limit) return ReadFault::kBodyTooLarge;
  // The client ended the connection, before or within a request: nobody reads an answer.
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec == http::error::short_read) {
    return ReadFault::kGone;
  }
  if (ec.category() == http::make_error_code(http::error::bad_method).category())
    return ReadFault::kMalformed;
  return ReadFault::kGone;  // the socket's own errors: reset, closed by stop(), ...
}

std::optional<FaultAnswer> answer_for(ReadFault fault, size_t max_body_bytes, size_t max_header_bytes) {
  switch (fault) {
    case ReadFault::kGone:
      return std::nullopt;
    case ReadFault::kTimedOut:
      return FaultAnswer{408, plain_error_json("The request did not arrive in time.", "invalid_request_error",
                                               "request_timeout")};
    case ReadFault::kHeadTooLarge:
      return FaultAnswer{431,
                         plain_error_json("The request line and headers are larger than the node accepts (" +
                                              std::to_string(max_header_bytes) + " bytes).",
                                          "invalid_request_error", "headers_too_large")};
    case ReadFault::kBodyTooLarge:
      return FaultAnswer{413, plain_error_json("The request body is larger than the node accepts (" +
                                                   std::to_string(max_body_bytes) + " bytes).",
                                               "invalid_request_error", "request_too_large")};
    case ReadFault::kMalformed:
      return FaultAnswer{400, plain_error_json("The request is not valid HTTP/1.1.", "invalid_request_error",
                                               "malformed_request")};
  }
  return std::nullopt;
}

std::string plain_error_json(std::string_view message, std::string_view type, std::string_view code) {
  std::string s = "{\"error\":{\"message\":\"";
  s += message;
  s += "\",\"type\":\"";
  s += type;
  s += "\",\"param\":null,\"code\":";
  s += code.empty() ? std::string("null") : "\"" + std::string(code) + "\"";
  s += "}}";
  return s;
}

}  // namespace quorum::net
