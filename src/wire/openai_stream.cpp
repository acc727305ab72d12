#include "wire/openai_stream.h"

#include "wire/chunk_scan.h"
#include "wire/openai_dialect.h"

namespace quorum::wire {

ApiError engine_event_too_large(std::string_view engine) {
  return ApiError::server(502, "Engine '" + std::string(engine) + "' sent an event larger than " +
                                   std::to_string(kMaxEventBytes >> 20) + " MiB.");
}

OpenAiStreamReader::OpenAiStreamReader(std::string engine, bool pass_through)
    : engine_(std::move(engine)), pass_through_(pass_through) {}

void OpenAiStreamReader::feed(std::string_view bytes, std::vector<StreamEvent>& out) {
  if (ended_) return;
  out_ = &out;
  decoder_.feed(bytes, *this);
  out_ = nullptr;
  if (decoder_.overflowed() && !ended_) {
    out.emplace_back(StreamError{engine_event_too_large(engine_)});
    ended_ = true;
  }
}

void OpenAiStreamReader::on_event(SseEvent& e) {
  if (e.error.empty() && e.event.empty()) {
    on_data(e.data);
    return;
  }
  if (ended_) return;  // nothing after the end, even in the same piece
  if (is_done_sentinel(e.data)) {
    saw_done_ = true;
    ended_ = true;
    return;
  }
  if (!e.error.empty() || e.event == "error") {
    // llama.cpp's legacy `error: {…}` field, or `event: error`: the engine's own message, not a generic
    // "closed the stream" once it hangs up.
    out_->emplace_back(StreamError{engine_stream_error(e.error.empty() ? e.data : e.error, engine_)});
    ended_ = true;
    return;
  }
  if (!e.data.empty()) chunk(e.data, *out_);
}

bool OpenAiStreamReader::on_data(std::string_view data) {
  if (ended_) return true;  // nothing after the end, even in the same piece
  if (is_done_sentinel(data)) {
    saw_done_ = true;
    ended_ = true;
  } else if (!data.empty()) {
    chunk(data, *out_);
  }
  return true;
}

void OpenAiStreamReader::chunk(std::string_view data, std::vector<StreamEvent>& out) {
  if (pass_through_) {
    if (auto plain = scanner_.scan(data)) {
      ++passed_through_;
      if (plain->text != PlainChunk::Text::kNone) {
        out.emplace_back(EncodedText{plain->choice, plain->text == PlainChunk::Text::kReasoning,
                                     std::string(plain->token)});
      }
      if (plain->finish) {
        finished_ = true;
        out.emplace_back(Finish{plain->choice, *plain->finish});
      }
      if (plain->usage) out.emplace_back(*plain->usage);
      return;
    }
  }
  ++parsed_;
  size_t first = out.size();
  parse_openai_chunk(data, out, engine_);
  for (size_t i = first; i < out.size(); ++i) {
    if (std::holds_alternative<Finish>(out[i])) finished_ = true;
    if (std::holds_alternative<StreamError>(out[i])) {
      out.resize(i + 1);  // nothing after an error
      ended_ = true;
      return;
    }
  }
}

void OpenAiStreamReader::end_of_body(std::vector<StreamEvent>& out) {
  if (ended_) return;
  ended_ = true;
  if (!finished_) {
    out.emplace_back(StreamError{
        ApiError::server(502, "Engine '" + engine_ + "' closed the stream before the generation finished.")});
  }
}

}  // namespace quorum::wire
