// Embedder: embeddings from a loaded model, in a context of its own (the model's pooling, or mean pooling for
// a generative model), L2-normalized; several inputs are evaluated together, one sequence each, in one pass.
// EmbeddingRunner: the embedding request running on a model's thread, evaluated a slice at a time
// (model_schedule.h) so that the thread decodes its generations between two slices.
// Both are used on the model's thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "engines/llamacpp/job.h"
#include "engines/llamacpp/llama_handles.h"

namespace quorum::engines::llamacpp {

class Embedder {
 public:
  // Inputs evaluated together at most (llama.cpp allows 256 sequences in a batch).
  static constexpr size_t kMaxInputsPerPass = 128;

  // An input may have up to `max_tokens` tokens; one pass takes up to max(max_tokens, pass_tokens) tokens.
  // Null when llama.cpp cannot make an embedding context for the model.
  static std::unique_ptr<Embedder> create(llama_model* model, int32_t max_tokens, int32_t pass_tokens,
                                          int threads);

  // The tokens of input number `index`; a 400 naming it when it is empty or longer than `max_tokens`.
  Result<std::vector<llama_token>> tokenize(const std::string& input, size_t index) const;
  // The embeddings of `inputs` (tokenized), in order, from one pass; a 500 when evaluation fails.
  // REQUIRES: 1 to kMaxInputsPerPass inputs, one input or at most the pass's tokens together.
  Result<std::vector<std::vector<float>>> embed(std::span<const std::vector<llama_token>> inputs);

 private:
  Embedder(llama_model* model, ContextPtr ctx, int32_t max_tokens, int32_t capacity);
  llama_model* model_;
  ContextPtr ctx_;
  int32_t max_tokens_;
  Batch batch_;
};

class EmbeddingRunner {
 public:
  // `slice_tokens`: the tokens of one slice (model_schedule.h slice_length); `max_tokens`: of one input.
  // `on_job_end` is called once for every job start() took, when it ends, before its done() (a client that
  // has its answer may send its next request at once, and must find the model no longer busy with this one).
  EmbeddingRunner(std::string model_id, llama_model* model, int32_t max_tokens, int threads,
                  int32_t slice_tokens, std::function<void()> on_job_end);

  bool busy() const { return job_ != nullptr; }
  // Makes `job` the running request. REQUIRES: !busy().
  void start(std::shared_ptr<EmbeddingJob> job);
  // Runs the next slice of the running request, if any, unless the job is cancelled. When the request ends
  // (every input done, an input or the engine failed, or cancelled: a 499) calls its done(). Never throws.
  void step();
  // Ends the running request, if any, with `error`.
  void fail(const ApiError& error);

 private:
  // The request's result once it ended, nullopt while inputs remain (or once cancelled).
  std::optional<Result<Embeddings>> next_slice();
  void end(Result<Embeddings> result);

  const std::string model_id_;
  llama_model* model_;
  const int32_t max_tokens_;
  const int threads_;
  const int32_t slice_tokens_;
  std::function<void()> on_job_end_;
  std::unique_ptr<Embedder> embedder_;

  std::shared_ptr<EmbeddingJob> job_;
  std::vector<std::vector<llama_token>> ahead_;  // the next inputs, tokenized
  size_t tokenized_ = 0;                         // inputs tokenized so far
  Embeddings out_;
};

}  // namespace quorum::engines::llamacpp
