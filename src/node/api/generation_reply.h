// What a generation's events make of the reply to the client, apart from the I/O (stream_response.h does
// that): SSE chunks through a StreamWriter for a streaming client, one response object through a
// ResponseAggregator otherwise, and the outcome the request's record keeps. Pure; not thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>

#include "wire/events.h"
#include "wire/stream_writer.h"

namespace quorum::node::api {

struct StreamOutcome {
  int status = 200;
  std::string error_type;
  std::optional<double> ttft_seconds;
  wire::Usage usage;
};

class GenerationReply {
 public:
  using Clock = std::chrono::steady_clock;

  // What the caller does after an event.
  enum class Next {
    kRead,        // nothing to send yet
    kWrite,       // write out() (once the events already read are in it too) and clear it
    kEndStream,   // write out() and end the stream: the reply is complete
    kSendError,   // nothing reached the client: answer error() with its status instead
    kSendObject,  // answer result() (a non-streaming client)
  };

  // `start`: when the request came in (for the time to the first token). `outcome` is the caller's, so that
  // it outlives a client leaving: kept up to date at every event.
  GenerationReply(bool stream_mode, const wire::StreamIdentity& identity, Clock::time_point start,
                  StreamOutcome& outcome);

  // Takes the stream's next event (nullopt: the generation ended), by reference: it is read or moved from,
  // never copied. `client_has_bytes`: something of the reply already went out (a keep-alive counts), so that
  // an error can only be told in-band.
  Next on(std::optional<wire::StreamEvent>&& event, bool client_has_bytes);

  std::string& out() { return out_; }
  const ApiError& error() const { return error_; }
  // kSendObject's answer.
  boost::json::object result();

 private:
  std::variant<wire::StreamWriter, wire::ResponseAggregator> reply_;
  int choices_;
  Clock::time_point start_;
  StreamOutcome& outcome_;
  std::string out_;
  ApiError error_;
};

}  // namespace quorum::node::api
