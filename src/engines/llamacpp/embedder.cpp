#include "engines/llamacpp/embedder.h"

#include <algorithm>
#include <cmath>

#include "common.h"  // llama.cpp common: tokenize
#include "core/log.h"
#include "engines/llamacpp/engine_failure.h"
#include "engines/llamacpp/model_schedule.h"

namespace quorum::engines::llamacpp {

std::unique_ptr<Embedder> Embedder::create(llama_model* model, int32_t max_tokens, int32_t pass_tokens,
                                           int threads) {
  const int32_t capacity = std::max(max_tokens, pass_tokens);
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<uint32_t>(capacity);
  cp.n_batch = cp.n_ubatch = static_cast<uint32_t>(capacity);  // a pass is evaluated in one piece
  cp.n_seq_max = static_cast<uint32_t>(kMaxInputsPerPass);
  cp.kv_unified = true;  // the inputs of a pass share the context's cells, whatever their lengths
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
  return std::unique_ptr<Embedder>(new Embedder(model, std::move(ctx), max_tokens, capacity));
}

Embedder::Embedder(llama_model* model, ContextPtr ctx, int32_t max_tokens, int32_t capacity)
    : model_(model), ctx_(std::move(ctx)), max_tokens_(max_tokens), batch_(capacity) {}

Result<std::vector<llama_token>> Embedder::tokenize(const std::string& input, size_t index) const {
  auto tokens = common_tokenize(llama_model_get_vocab(model_), input, /*add_special=*/true,
                                /*parse_special=*/false);
  if (tokens.empty())
    return ApiError::invalid_request("Input " + std::to_string(index) + " is empty.", "input");
  if (static_cast<int32_t>(tokens.size()) > max_tokens_) {
    return ApiError::invalid_request(
        "Input " + std::to_string(index) + " has " + std::to_string(tokens.size()) +
            " tokens; this model's maximum context length is " + std::to_string(max_tokens_) + ".",
        "input", "context_length_exceeded");
  }
  return tokens;
}

Result<std::vector<std::vector<float>>> Embedder::embed(std::span<const std::vector<llama_token>> inputs) {
  const int n_embd = llama_model_n_embd(model_);
  llama_memory_clear(llama_get_memory(ctx_.get()), true);
  llama_batch& b = batch_.get();
  b.n_tokens = 0;
  for (size_t seq = 0; seq < inputs.size(); ++seq) {
    for (size_t t = 0; t < inputs[seq].size(); ++t) {
      const int32_t i = b.n_tokens++;
      b.token[i] = inputs[seq][t];
      b.pos[i] = static_cast<llama_pos>(t);
      b.n_seq_id[i] = 1;
      b.seq_id[i][0] = static_cast<llama_seq_id>(seq);
      b.logits[i] = 1;
    }
  }
  int rc = llama_model_has_encoder(model_) ? llama_encode(ctx_.get(), b) : llama_decode(ctx_.get(), b);
  std::vector<std::vector<float>> out;
  out.reserve(inputs.size());
  for (size_t seq = 0; seq < inputs.size(); ++seq) {
    const float* e = rc == 0 ? llama_get_embeddings_seq(ctx_.get(), static_cast<llama_seq_id>(seq)) : nullptr;
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
    out.push_back(std::move(v));
  }
  return out;
}

EmbeddingRunner::EmbeddingRunner(std::string model_id, llama_model* model, int32_t max_tokens, int threads,
                                 int32_t slice_tokens, std::function<void()> on_job_end)
    : model_id_(std::move(model_id)),
      model_(model),
      max_tokens_(max_tokens),
      threads_(threads),
      slice_tokens_(slice_tokens),
      on_job_end_(std::move(on_job_end)) {}

void EmbeddingRunner::start(std::shared_ptr<EmbeddingJob> job) {
  job_ = std::move(job);
  ahead_.clear();
  tokenized_ = 0;
  out_ = Embeddings{};
}

void EmbeddingRunner::step() {
  if (!job_) return;
  std::optional<Result<Embeddings>> result;
  auto why = exception_text([&] { result = next_slice(); });
  if (why) {
    embedder_.reset();  // its context may be in any state: the next request makes a new one
    result.emplace(engine_failure("computing embeddings", *why));
  }
  if (!result && job_->cancelled.load()) {
    log::info("model '" + model_id_ + "': embeddings stopped after " + std::to_string(out_.vectors.size()) +
              " of " + std::to_string(job_->inputs.size()) + " inputs: the client left");
    result.emplace(ApiError::client_closed());
  }
  if (result) end(*std::move(result));
}

void EmbeddingRunner::fail(const ApiError& error) {
  if (job_) end(error);
}

void EmbeddingRunner::end(Result<Embeddings> result) {
  auto job = std::move(job_);
  job_.reset();
  ahead_.clear();
  out_ = Embeddings{};
  on_job_end_();
  job->done(std::move(result));
}

std::optional<Result<Embeddings>> EmbeddingRunner::next_slice() {
  if (job_->cancelled.load()) return std::nullopt;
  if (!embedder_) embedder_ = Embedder::create(model_, max_tokens_, slice_tokens_, threads_);
  if (!embedder_) {
    return ApiError::server(500, "The model '" + model_id_ + "' cannot compute embeddings.",
                            "embeddings_unavailable");
  }
  const auto& inputs = job_->inputs;
  const size_t budget = static_cast<size_t>(slice_tokens_);
  // Tokenize ahead until the inputs ahead fill a slice (or there are no more).
  size_t ahead_tokens = 0;
  for (const auto& t : ahead_) ahead_tokens += t.size();
  while (tokenized_ < inputs.size() && ahead_.size() < Embedder::kMaxInputsPerPass &&
         (ahead_.empty() || ahead_tokens <= budget)) {
    auto tokens = embedder_->tokenize(inputs[tokenized_], tokenized_);
    if (!tokens) return tokens.take_error();
    ahead_tokens += tokens->size();
    ahead_.push_back(std::move(tokens.value()));
    ++tokenized_;
  }
  std::vector<size_t> counts;
  counts.reserve(ahead_.size());
  for (const auto& t : ahead_) counts.push_back(t.size());
  const size_t n = slice_length(counts, budget, Embedder::kMaxInputsPerPass);
  auto vectors = embedder_->embed(std::span<const std::vector<llama_token>>(ahead_).first(n));
  if (!vectors) return vectors.take_error();
  for (size_t i = 0; i < n; ++i) {
    out_.prompt_tokens += static_cast<int64_t>(ahead_[i].size());
    out_.vectors.push_back(std::move(vectors.value()[i]));
  }
  ahead_.erase(ahead_.begin(), ahead_.begin() + static_cast<std::ptrdiff_t>(n));
  if (out_.vectors.size() < inputs.size()) return std::nullopt;
  return std::move(out_);
}

}  // namespace quorum::engines::llamacpp
