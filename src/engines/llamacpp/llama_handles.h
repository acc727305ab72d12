// Owning handles for llama.cpp objects (freed with llama.cpp's own functions).
#pragma once

#include <memory>

#include "llama.h"

namespace quorum::engines::llamacpp {

struct ModelDeleter {
  void operator()(llama_model* m) const { llama_model_free(m); }
};
struct ContextDeleter {
  void operator()(llama_context* c) const { llama_free(c); }
};
struct SamplerDeleter {
  void operator()(llama_sampler* s) const { llama_sampler_free(s); }
};
using ModelPtr = std::unique_ptr<llama_model, ModelDeleter>;
using ContextPtr = std::unique_ptr<llama_context, ContextDeleter>;
using SamplerPtr = std::unique_ptr<llama_sampler, SamplerDeleter>;

// A llama_batch allocated with llama_batch_init, freed with llama_batch_free.
class Batch {
 public:
  Batch(int32_t capacity)
      : batch_(llama_batch_init(capacity, 0, 1)) {}  // NOLINT(google-explicit-constructor)
  ~Batch() { llama_batch_free(batch_); }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;
  llama_batch& get() { return batch_; }

 private:
  llama_batch batch_;
};

}  // namespace quorum::engines::llamacpp
