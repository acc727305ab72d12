#include "node/api/generation_reply.h"

#include "core/spare_room.h"

namespace quorum::node::api {

namespace {

wire::StreamWriter* writer_of(std::variant<wire::StreamWriter, wire::ResponseAggregator>& reply) {
  return std::get_if<wire::StreamWriter>(&reply);
}

}  // namespace

GenerationReply::GenerationReply(bool stream_mode, const wire::StreamIdentity& identity,
                                 Clock::time_point start, StreamOutcome& outcome)
    : reply_(stream_mode ? decltype(reply_)(std::in_place_type<wire::StreamWriter>, identity)
                         : decltype(reply_)(std::in_place_type<wire::ResponseAggregator>, identity)),
      choices_(identity.n),
      start_(start),
      outcome_(outcome) {}

GenerationReply::Next GenerationReply::on(std::optional<wire::StreamEvent>&& event, bool client_has_bytes) {
  wire::StreamWriter* writer = writer_of(reply_);
  take_room(out_);
  std::optional<ApiError> failure;
  if (!event) {
    // the end
  } else if (auto* e = std::get_if<wire::StreamError>(&*event)) {
    failure = std::move(e->error);
  } else if (auto bad = wire::malformed_event(*event, choices_)) {
    failure = std::move(bad);  // checked here too so that the outcome (status, error type) records it
  } else {
    if (!outcome_.ttft_seconds && !std::holds_alternative<wire::Usage>(*event)) {
      outcome_.ttft_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    }
    if (writer) {
      writer->on_event(*event, out_);
    } else {
      std::get<wire::ResponseAggregator>(reply_).on_event(*event);
    }
  }
  // Kept up to date, so that a client leaving mid-way still has what it got recorded.
  outcome_.usage = writer ? writer->usage() : std::get<wire::ResponseAggregator>(reply_).usage();

  if (failure) {
    outcome_.error_type = failure->type;
    if (!writer || (!client_has_bytes && out_.empty())) {
      // Nothing has reached the client yet: the error is the response, with its own status.
      outcome_.status = failure->status;
      error_ = std::move(*failure);
      return Next::kSendError;
    }
    writer->fail(*failure, out_);  // after the first byte: in-band, then [DONE]
    return Next::kEndStream;
  }
  if (!event) {
    if (!writer) return Next::kSendObject;
    writer->finish(out_);
    outcome_.usage = writer->usage();
    return Next::kEndStream;
  }
  if (out_.empty()) {
    give_room(out_);  // nothing to send: the room is not held while the engine is awaited
    return Next::kRead;
  }
  return Next::kWrite;
}

boost::json::object GenerationReply::result() {
  return std::get<wire::ResponseAggregator>(reply_).result();
}

}  // namespace quorum::node::api
