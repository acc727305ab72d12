// Turns normalized events into the exact stream a client expects (ARCHITECTURE.md "The API a node serves",
// openai-wire.md §2.2, §4.1, §5.2):
//   - every chunk has the same id, created, model and object;
//   - the first chunk of each choice carries role "assistant" once, choices first appear in ascending order;
//   - tool-call fragments carry index and function always, id/type/name only in the first fragment of a call;
//   - reasoning goes out under one configured field name;
//   - no UTF-8 character is split across two events, and every text is valid UTF-8 (an engine's invalid bytes
//     become U+FFFD);
//   - each choice gets one finish chunk with a valid finish_reason;
//   - a usage chunk with "choices": [] only when the client asked for include_usage;
//   - "data: [DONE]" last; after an error, an in-band {"error":…} event, then [DONE].
// Pure: produces SSE bytes; the caller writes them. Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "wire/events.h"
#include "wire/request.h"
#include "wire/utf8.h"

namespace quorum::wire {

struct StreamIdentity {
  std::string id;       // "chatcmpl-…" or "cmpl-…"
  int64_t created = 0;  // Unix seconds
  std::string model;    // the name the client asked for
  GenerationKind kind = GenerationKind::kChat;
  bool include_usage = false;
  int n = 1;  // choices the client asked for: an event for a choice index >= n is malformed (events.h)
  std::string reasoning_field = "reasoning_content";
};

class StreamWriter {
 public:
  explicit StreamWriter(StreamIdentity identity);

  // Appends the SSE frames for one event to `out` (possibly none: text may wait for the rest of a character).
  // A StreamError event is handled like fail(), and so is an event with an impossible index
  // (malformed_event), which never reaches the state.
  void on_event(const StreamEvent& event, std::string& out);
  // Ends a successful stream: held-back text, missing finish chunks, the usage chunk if asked, [DONE].
  void finish(std::string& out);
  // Ends the stream with an in-band error event then [DONE].
  void fail(const ApiError& error, std::string& out);

  bool ended() const { return ended_; }
  // What the engine reported (or, if it reported nothing, what was counted).
  Usage usage() const;
  // Number of content/reasoning/tool events seen: a proxy for tokens when the engine reports no usage.
  int64_t deltas_seen() const { return deltas_; }

 private:
  struct ToolState {
    int out_index = 0;
    Utf8Carry args;
  };
  struct ChoiceState {
    bool started = false;
    bool finished = false;
    bool saw_tools = false;
    Utf8Carry text;
    Utf8Carry reasoning;
    std::map<int, ToolState> tools;  // by engine index
  };

  ChoiceState& choice(int index, std::string& out);
  // Appends the start of a chunk of one choice: the identity, `"choices":[{"index":N`.
  void begin_choice(int index, std::string& out) const;
  // A chunk of text (content, or reasoning under the configured name); `encoded`: `text` is already a clean
  // JSON string token (EncodedText).
  void emit_text(int index, bool reasoning, std::string_view text, bool encoded, std::string& out);
  void emit_role(int index, std::string& out) const;
  void emit_tool_call(int index, const boost::json::object& call, std::string& out) const;
  void emit_finish(int index, FinishReason reason, std::string& out);
  void flush_choice(int index, std::string& out);

  StreamIdentity id_;
  std::string chunk_prefix_;   // `data: {"id":…,"object":…,"created":…,"model":…,"choices":[`
  std::string reasoning_key_;  // `{"<reasoning_field>":`
  std::vector<ChoiceState> choices_;
  std::optional<Usage> usage_;
  int64_t deltas_ = 0;
  bool ended_ = false;
};

// Serializes an error as the body of an HTTP error response: {"error":{"message","type","param","code"}}.
std::string error_body(const ApiError& error);
boost::json::object error_object(const ApiError& error);

// Collects a whole generation into one non-streaming response object (chat.completion or text_completion),
// with usage always present. The same rules apply: one finish_reason per choice, tool calls with ids,
// reasoning under the configured name.
class ResponseAggregator {
 public:
  explicit ResponseAggregator(StreamIdentity identity);
  // Returns false once a StreamError, or an event with an impossible index (malformed_event), arrived (see
  // error()).
  bool on_event(const StreamEvent& event);
  const std::optional<ApiError>& error() const { return error_; }
  boost::json::object result();
  Usage usage() const;

 private:
  struct Call {
    std::string id, name, arguments;
  };
  struct Choice {
    std::string text, reasoning;
    std::map<int, Call> calls;
    std::optional<FinishReason> finish;
  };
  Choice& choice(int index);

  StreamIdentity id_;
  std::vector<Choice> choices_;
  std::optional<Usage> usage_;
  std::optional<ApiError> error_;
  int64_t deltas_ = 0;
};

boost::json::object usage_json(const Usage& usage);

}  // namespace quorum::wire
