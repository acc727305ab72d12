// Normalized generation events: what every engine adapter yields, whatever dialect its engine speaks, and
// what the API layer turns back into OpenAI chunks (stream) or one response object (non-stream).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/result.h"

namespace quorum::wire {

// The only finish reasons clients accept (openai-wire.md §2.4).
enum class FinishReason { kStop, kLength, kToolCalls, kContentFilter, kFunctionCall };

std::string_view to_string(FinishReason reason);
// Maps an engine's finish/done reason to a valid one; unknown non-empty values become kStop.
// Returns nullopt for null/empty (not finished yet).
std::optional<FinishReason> parse_finish_reason(std::string_view engine_value);

// Answer text (chat `content` or completions `text`).
struct TextDelta {
  int choice = 0;
  std::string text;
};

// Reasoning text, whatever name the engine gave it (reasoning_content, reasoning, thinking).
struct ReasoningDelta {
  int choice = 0;
  std::string text;
};

// One fragment of a tool call. `id` and `name` are non-empty at most in the first fragment of a call (the
// writer enforces once-only emission regardless); `arguments` is a piece of the JSON text of the arguments.
struct ToolCallDelta {
  int choice = 0;
  int index = 0;
  std::string id;
  std::string name;
  std::string arguments;
};

// Text of a chunk that took the pass-through path (chunk_scan.h): still the JSON string token the engine
// sent (quotes included), clean (is_clean_json_string) and never `""`. A streaming client gets it in the
// writer's chunk as it is; whatever needs the text itself decodes it (decode_json_string). Means the same as
// the TextDelta (or, with `reasoning`, the ReasoningDelta) of the decoded text.
struct EncodedText {
  int choice = 0;
  bool reasoning = false;
  std::string token;
};

struct Finish {
  int choice = 0;
  FinishReason reason = FinishReason::kStop;
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  std::optional<int64_t> reasoning_tokens;
  std::optional<int64_t> cached_tokens;
  int64_t total() const { return prompt_tokens + completion_tokens; }
};

// The engine failed mid-generation. Ends the stream.
struct StreamError {
  ApiError error;
};

using StreamEvent =
    std::variant<TextDelta, ReasoningDelta, EncodedText, ToolCallDelta, Finish, Usage, StreamError>;

// Engines are not trusted (the node adopts whatever answers on a well-known local port), and the indexes they
// send size the writer's state. A choice index must be below the request's `n`; a tool-call index below this.
inline constexpr int kMaxToolCallIndex = 128;

// The error an event with an impossible index deserves (a 502: the engine sent a malformed chunk), or nullopt
// when its indexes are in range. `choices` is the request's n.
std::optional<ApiError> malformed_event(const StreamEvent& event, int choices);

}  // namespace quorum::wire
