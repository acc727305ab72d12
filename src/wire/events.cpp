#include "wire/events.h"

#include <string>

namespace quorum::wire {

std::optional<ApiError> malformed_event(const StreamEvent& event, int choices) {
  int choice = 0;
  int tool = 0;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, TextDelta> || std::is_same_v<T, ReasoningDelta> ||
                      std::is_same_v<T, EncodedText> || std::is_same_v<T, Finish>) {
          choice = e.choice;
        } else if constexpr (std::is_same_v<T, ToolCallDelta>) {
          choice = e.choice;
          tool = e.index;
        }
      },
      event);
  if (choice < 0 || choice >= choices) {
    return ApiError::server(502, "The engine sent a malformed chunk: choice index " + std::to_string(choice) +
                                     " is out of range (the request asked for " + std::to_string(choices) +
                                     (choices == 1 ? " choice)." : " choices)."));
  }
  if (tool < 0 || tool >= kMaxToolCallIndex) {
    return ApiError::server(502, "The engine sent a malformed chunk: tool call index " +
                                     std::to_string(tool) + " is out of range (at most " +
                                     std::to_string(kMaxToolCallIndex) + " tool calls per choice).");
  }
  return std::nullopt;
}

std::string_view to_string(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kToolCalls:
      return "tool_calls";
    case FinishReason::kContentFilter:
      return "content_filter";
    case FinishReason::kFunctionCall:
      return "function_call";
  }
  return "stop";
}

std::optional<FinishReason> parse_finish_reason(std::string_view v) {
  if (v.empty()) return std::nullopt;
  if (v == "length" || v == "max_tokens" || v == "limit") return FinishReason::kLength;
  if (v == "tool_calls" || v == "tool_call" || v == "tool_use") return FinishReason::kToolCalls;
  if (v == "content_filter") return FinishReason::kContentFilter;
  if (v == "function_call") return FinishReason::kFunctionCall;
  // "stop", "eos", "eos_token", "stop_sequence", "normal", "end_turn" and anything unknown: a normal stop.
  return FinishReason::kStop;
}

}  // namespace quorum::wire
