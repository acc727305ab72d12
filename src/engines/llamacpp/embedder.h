// Embedder: embeddings from a loaded model, in a context of its own (the model's pooling, or mean pooling for
// a generative model), one input at a time, L2-normalized. Used on the model's thread only.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "engines/llamacpp/job.h"
#include "engines/llamacpp/llama_handles.h"

namespace quorum::engines::llamacpp {

class Embedder {
 public:
  // Null when llama.cpp cannot make an embedding context for the model.
  static std::unique_ptr<Embedder> create(llama_model* model, int32_t max_tokens, int threads);

  // A 400 naming the input when one is empty or longer than `max_tokens`; a 500 when evaluation fails.
  Result<Embeddings> embed(const std::vector<std::string>& inputs);

 private:
  Embedder(llama_model* model, ContextPtr ctx, int32_t max_tokens);
  llama_model* model_;
  ContextPtr ctx_;
  int32_t max_tokens_;
  Batch batch_;
};

}  // namespace quorum::engines::llamacpp
