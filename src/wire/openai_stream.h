// Reading an OpenAI-compatible SSE response body (an engine's, or a peer node's) into normalized events: the
// SSE framing (SseDecoder), then each chunk either on the pass-through path (chunk_scan.h: the common chunk,
// its text kept as the engine encoded it) or the full path (parse_openai_chunk). Both give the same events
// (EncodedText stands for the TextDelta or ReasoningDelta of its decoded text). Pure code: bytes in, events
// out; src/engines/openai_backend.cpp reads the socket, the fuzz harness `engine_stream` feeds it too.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wire/chunk_scan.h"
#include "wire/events.h"
#include "wire/sse.h"

namespace quorum::wire {

class OpenAiStreamReader final : private SseDecoder::Sink {
 public:
  // `engine` names the engine in error messages. `pass_through` false: every chunk takes the full path.
  OpenAiStreamReader(std::string engine, bool pass_through);

  // Decodes `bytes` and appends the events they complete. The stream ends at `[DONE]`, at an error (an
  // `event: error`, llama.cpp's `error:` field, a chunk that is an error or not JSON), or at an event over
  // kMaxEventBytes (its error is appended): then ended() holds and later bytes are ignored.
  void feed(std::string_view bytes, std::vector<StreamEvent>& out);
  // The body ended: appends the error of a stream that stopped before its generation finished (no [DONE]
  // and no finish_reason), unless it had ended already.
  void end_of_body(std::vector<StreamEvent>& out);

  const std::string& engine() const { return engine_; }
  bool ended() const { return ended_; }
  // `[DONE]` was read: the engine ended well, and its connection is worth keeping.
  bool saw_done() const { return saw_done_; }
  // Chunks read on each path so far.
  uint64_t passed_through() const { return passed_through_; }
  uint64_t parsed() const { return parsed_; }

 private:
  void on_event(SseEvent& event) override;
  bool on_data(std::string_view data) override;
  void chunk(std::string_view data, std::vector<StreamEvent>& out);

  std::string engine_;
  bool pass_through_;
  SseDecoder decoder_;
  StreamChunkScanner scanner_;
  std::vector<StreamEvent>* out_ = nullptr;  // feed()'s, while it runs
  bool ended_ = false;
  bool saw_done_ = false;
  bool finished_ = false;  // a finish_reason seen
  uint64_t passed_through_ = 0;
  uint64_t parsed_ = 0;
};

// The error of an engine that sent a line or an event over kMaxEventBytes.
ApiError engine_event_too_large(std::string_view engine);

}  // namespace quorum::wire
