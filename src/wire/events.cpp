#include "wire/events.h"

namespace quorum::wire {

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
