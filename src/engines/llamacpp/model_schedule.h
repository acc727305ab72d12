// The model thread's rules as pure code: which request may still wait for a model, and how much embedding
// work runs between two decode steps. No threads, no llama.cpp: unit-tested in
// tests/unit/engines/llamacpp/model_schedule_test.cpp.
//
// Generations and embeddings wait in two queues of the model, each bounded by `--model-queue`: a flood of one
// kind does not refuse the other, which still runs (generations in their slots, embeddings between decode
// steps). An embedding request runs in slices of at most `batch` tokens (`ModelOptions::batch`, as much as a
// decode step feeds of a prompt) and Embedder::kMaxInputsPerPass inputs, one slice between two decode steps,
// so the streams on the model go on producing tokens while a large batch is embedded.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "core/result.h"

namespace quorum::engines::llamacpp {

enum class JobKind { kGeneration, kEmbedding };

// nullopt when one more request of `kind` may wait (fewer than `limit` are waiting); otherwise the 429
// (rate_limit_error, model_busy) the client sees, saying what the model is busy with.
std::optional<ApiError> queue_refusal(const std::string& model, JobKind kind, size_t waiting, size_t limit,
                                      int slots);

// How many of the next inputs of an embedding request the next slice evaluates, given the token counts of
// the inputs ahead (in order): as many as fit in `budget` tokens together, at most `max_inputs`, and at least
// one when there is one (an input is pooled whole, so it is never split; a slice is then as long as that
// input).
size_t slice_length(std::span<const size_t> tokens, size_t budget, size_t max_inputs);

}  // namespace quorum::engines::llamacpp
