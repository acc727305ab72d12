#include "engines/llamacpp/embedder.h"

#include <cmath>

#include "common.h"  // llama.cpp common: tokenize

namespace quorum::engines::llamacpp {

std::unique_ptr<Embedder> Embedder::create(llama_model* model, int32_t max_tokens, int threads) {
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<uint32_t>(max_tokens);
  cp.n_batch = cp.n_ubatch = static_cast<uint32_t>(max_tokens);  // an input is evaluated in one piece
  cp.n_seq_max = 1;
  cp.n_threads = cp.n_threads_batch = threads;
  cp.embeddings = true;
  cp.no_perf = true;
  cp.pooling_type = LLAMA_POOLING_TYPE_UNSPECIFIED;  // the model's own
  ContextPtr ctx(llama_init_from_model(model, cp));
  if (ctx && llama_pooling_type(ctx.get()) == LLAMA_POOLING_TYPE_NONE) {
    cp.pooling_type = LLAMA_POOLING_TYPE_MEAN;  // a generative model: average its token states
    ctx.reset(llama_init_from_model(model, cp));
  }
  if (!ctx) return nullptr;
  return std::unique_ptr<Embedder>(new Embedder(model, std::move(ctx), max_tokens));
}

Embedder::Embedder(llama_model* model, ContextPtr ctx, int32_t max_tokens)
    : model_(model), ctx_(std::move(ctx)), max_tokens_(max_tokens), batch_(max_tokens) {}

Result<Embeddings> Embedder::embed(const std::vector<std::string>& inputs) {
  const llama_vocab* vocab = llama_model_get_vocab(model_);
  const int n_embd = llama_model_n_embd(model_);
  Embeddings out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto tokens = common_tokenize(vocab, inputs[i], /*add_special=*/true, /*parse_special=*/false);
    if (tokens.empty())
      return ApiError::invalid_request("Input " + std::to_string(i) + " is empty.", "input");
    if (static_cast<int32_t>(tokens.size()) > max_tokens_) {
      return ApiError::invalid_request(
          "Input " + std::to_string(i) + " has " + std::to_string(tokens.size()) +
              " tokens; this model's maximum context length is " + std::to_string(max_tokens_) + ".",
          "input", "context_length_exceeded");
    }
    out.prompt_tokens += static_cast<int64_t>(tokens.size());
    llama_memory_clear(llama_get_memory(ctx_.get()), true);
    llama_batch& b = batch_.get();
    b.n_tokens = static_cast<int32_t>(tokens.size());
    for (size_t t = 0; t < tokens.size(); ++t) {
      b.token[t] = tokens[t];
      b.pos[t] = static_cast<llama_pos>(t);
      b.n_seq_id[t] = 1;
      b.seq_id[t][0] = 0;
      b.logits[t] = 1;
    }
    int rc = llama_model_has_encoder(model_) ? llama_encode(ctx_.get(), b) : llama_decode(ctx_.get(), b);
    const float* e = rc == 0 ? llama_get_embeddings_seq(ctx_.get(), 0) : nullptr;
    if (!e) {
      return ApiError::server(
          500, "Computing the embedding failed (llama.cpp status " + std::to_string(rc) + ").");
    }
    double norm = 0;
    for (int k = 0; k < n_embd; ++k) norm += static_cast<double>(e[k]) * e[k];
    norm = std::sqrt(norm);
    std::vector<float> v(e, e + n_embd);
    if (norm > 0) {
      for (auto& x : v) x = static_cast<float>(x / norm);
    }
    out.vectors.push_back(std::move(v));
  }
  return out;
}

}  // namespace quorum::engines::llamacpp
