#include "engines/llamacpp/model_schedule.h"

namespace quorum::engines::llamacpp {

std::optional<ApiError> queue_refusal(const std::string& model, JobKind kind, size_t waiting, size_t limit,
                                      int slots) {
  if (waiting < limit) return std::nullopt;
  const std::string busy =
      kind == JobKind::kGeneration
          ? "all " + std::to_string(slots) + " slots are generating and " + std::to_string(waiting) +
                " requests are waiting"
          : "it is computing embeddings and " + std::to_string(waiting) + " embedding requests are waiting";
  return ApiError{429, "rate_limit_error", "The model '" + model + "' is busy: " + busy + ". Retry shortly.",
                  std::nullopt, "model_busy"};
}

size_t slice_length(std::span<const size_t> tokens, size_t budget, size_t max_inputs) {
  if (tokens.empty()) return 0;
  size_t n = 1;
  size_t total = tokens[0];
  while (n < tokens.size() && n < max_inputs && total + tokens[n] <= budget) total += tokens[n++];
  return n;
}

}  // namespace quorum::engines::llamacpp
