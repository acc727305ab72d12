#include "engines/llamacpp/loaded_model.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "common.h"  // llama.cpp common: tokenize, token_to_piece
#include "core/log.h"
#include "engines/llamacpp/chat_prompt.h"
#include "engines/llamacpp/llama_runtime.h"
#include "engines/llamacpp/text_filter.h"
#include "llama.h"

namespace quorum::engines::llamacpp {

namespace {

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

struct BatchDeleter {
  void operator()(llama_batch* b) const {
    llama_batch_free(*b);
    delete b;
  }
};

SamplerPtr make_sampler(const SamplingParams& p, const llama_vocab* vocab) {
  SamplerPtr chain(llama_sampler_chain_init(llama_sampler_chain_default_params()));
  if (p.repeat_penalty != 1.0f || p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f) {
    llama_sampler_chain_add(
        chain.get(), llama_sampler_init_penalties(llama_vocab_n_tokens(vocab),
                                                  p.penalty_last_n < 0 ? 4096 : p.penalty_last_n,
                                                  p.repeat_penalty, p.frequency_penalty, p.presence_penalty));
  }
  if (p.temperature <= 0.0f) {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
    return chain;
  }
  if (p.top_k > 0) llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(p.top_k));
  if (p.top_p < 1.0f)
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(std::max(p.top_p, 1e-6f), 1));
  if (p.min_p > 0.0f) llama_sampler_chain_add(chain.get(), llama_sampler_init_min_p(p.min_p, 1));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(p.temperature));
  uint32_t seed = p.seed ? *p.seed : std::random_device{}();
  llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(seed));
  return chain;
}

size_t common_prefix(const std::vector<llama_token>& a, const std::vector<llama_token>& b) {
  size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

ApiError unloaded_error(const std::string& id) {
  return ApiError::server(503, "The model '" + id + "' was unloaded while the request was running.",
                          "model_unloaded");
}

}  // namespace

// ---- llama.cpp state of one model ----

struct LoadedModel::Runtime {
  struct Slot {
    llama_seq_id seq = 0;
    std::shared_ptr<GenerationJob> job;
    std::vector<llama_token> cache;  // tokens whose keys/values this sequence holds, in position order
    std::vector<llama_token> prompt;
    size_t prompt_pos = 0;  // next prompt token to evaluate
    int64_t generated = 0;
    int64_t reused = 0;  // prompt tokens found in the cache
    int64_t max_tokens = 0;
    SamplerPtr sampler;
    std::optional<TextFilter> filter;
    llama_token pending = -1;   // sampled, evaluated in the next step
    int32_t output_index = -1;  // row of this slot's logits in the current batch
  };

  ModelPtr model;
  ContextPtr ctx;
  ContextPtr embedding_ctx;
  const llama_vocab* vocab = nullptr;
  std::unique_ptr<ChatPrompt> chat;
  std::unique_ptr<llama_batch, BatchDeleter> batch;
  std::vector<Slot> slots;
  int32_t ctx_per_slot = 0;
  int32_t batch_size = 0;
  size_t prompt_turn = 0;  // round-robin start among slots feeding prompts
};

LoadedModel::LoadedModel(std::string id, std::string path, ModelOptions options)
    : id_(std::move(id)), path_(std::move(path)), options_(options), last_used_(Clock::now()) {
  std::error_code ec;
  memory_estimate_ = std::filesystem::file_size(path_, ec);
  if (ec) memory_estimate_ = 0;
  thread_ = std::thread([this] { run(); });
}

LoadedModel::~LoadedModel() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
}

LoadedModel::State LoadedModel::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::optional<ApiError> LoadedModel::load_error() const {
  std::lock_guard lock(mutex_);
  return load_error_;
}

bool LoadedModel::wait_loaded(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return loaded_cv_.wait_for(lock, timeout, [&] { return state_ != State::kLoading; });
}

Status LoadedModel::submit(std::shared_ptr<GenerationJob> job) {
  {
    std::lock_guard lock(mutex_);
    if (state_ == State::kFailed) return *load_error_;
    if (stopping_) return unloaded_error(id_);
    if (queue_.size() >= static_cast<size_t>(options_.queue_limit)) {
      ApiError e{429, "rate_limit_error",
                 "The model '" + id_ + "' is busy: all " + std::to_string(options_.slots) +
                     " slots are generating and " + std::to_string(queue_.size()) +
                     " requests are waiting. Retry shortly.",
                 std::nullopt, "model_busy"};
      return e;
    }
    queue_.push_back(std::move(job));
  }
  work_cv_.notify_one();
  return Ok{};
}

Status LoadedModel::submit(std::shared_ptr<EmbeddingJob> job) {
  {
    std::lock_guard lock(mutex_);
    if (state_ == State::kFailed) return *load_error_;
    if (stopping_) return unloaded_error(id_);
    embedding_queue_.push_back(std::move(job));
  }
  work_cv_.notify_one();
  return Ok{};
}

size_t LoadedModel::busy() const {
  std::lock_guard lock(mutex_);
  return running_ + queue_.size() + embedding_queue_.size();
}

LoadedModel::Clock::time_point LoadedModel::last_used() const {
  std::lock_guard lock(mutex_);
  return last_used_;
}

uint64_t LoadedModel::memory_estimate() const {
  std::lock_guard lock(mutex_);
  return memory_estimate_;
}

// ---- The model's thread ----

void LoadedModel::run() {
  ensure_llama_initialized();
  auto rt = std::make_unique<Runtime>();
  const int threads = options_.threads > 0
                          ? options_.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  // Load.
  {
    LoadErrorCapture capture;
    auto started = Clock::now();
    llama_model_params mp = llama_model_default_params();
    // Read the weights into memory rather than mapping the file: a file overwritten in place while mapped
    // would kill the whole node with SIGBUS (users do replace model files while the node runs).
    mp.load_mode = LLAMA_LOAD_MODE_NONE;
    mp.lazy_mode = LLAMA_LAZY_MODE_OFF;
    rt->model.reset(llama_model_load_from_file(path_.c_str(), mp));
    std::optional<ApiError> failure;
    if (!rt->model) {
      std::string why = capture.text();
      failure = ApiError::server(
          500, "The model '" + id_ + "' could not be loaded from " + path_ + (why.empty() ? "." : ": " + why),
          "model_load_failed");
    } else {
      int32_t train = llama_model_n_ctx_train(rt->model.get());
      rt->ctx_per_slot = options_.ctx_per_slot > 0 ? options_.ctx_per_slot
                                                   : std::min<int32_t>(train > 0 ? train : 4096, 4096);
      rt->batch_size = std::max(options_.batch, options_.slots);
      llama_context_params cp = llama_context_default_params();
      cp.n_ctx = static_cast<uint32_t>(rt->ctx_per_slot) * static_cast<uint32_t>(options_.slots);
      cp.n_batch = static_cast<uint32_t>(rt->batch_size);
      cp.n_ubatch = static_cast<uint32_t>(rt->batch_size);
      cp.n_seq_max = static_cast<uint32_t>(options_.slots);
      cp.n_threads = threads;
      cp.n_threads_batch = threads;
      cp.no_perf = true;
      cp.kv_unified = false;
      rt->ctx.reset(llama_init_from_model(rt->model.get(), cp));
      if (!rt->ctx) {
        failure =
            ApiError::server(500,
                             "The model '" + id_ + "' loaded but its context (" + std::to_string(cp.n_ctx) +
                                 " tokens) could not be created: " + capture.text(),
                             "model_load_failed");
      }
    }
    if (!failure) {
      rt->vocab = llama_model_get_vocab(rt->model.get());
      rt->chat = std::make_unique<ChatPrompt>(rt->model.get());
      rt->batch.reset(new llama_batch(llama_batch_init(rt->batch_size, 0, 1)));
      rt->slots.resize(static_cast<size_t>(options_.slots));
      for (size_t i = 0; i < rt->slots.size(); ++i) rt->slots[i].seq = static_cast<llama_seq_id>(i);
    }
    std::vector<std::shared_ptr<GenerationJob>> refused;
    std::vector<std::shared_ptr<EmbeddingJob>> refused_embeddings;
    {
      std::lock_guard lock(mutex_);
      if (failure) {
        state_ = State::kFailed;
        load_error_ = failure;
        refused.assign(queue_.begin(), queue_.end());
        refused_embeddings.assign(embedding_queue_.begin(), embedding_queue_.end());
        queue_.clear();
        embedding_queue_.clear();
      } else {
        state_ = State::kReady;
        // Weights plus keys and values (f16) for every slot's context.
        uint64_t kv = uint64_t{2} * 2 * static_cast<uint64_t>(llama_model_n_layer(rt->model.get())) *
                      static_cast<uint64_t>(llama_model_n_embd(rt->model.get())) *
                      static_cast<uint64_t>(rt->ctx_per_slot) * static_cast<uint64_t>(options_.slots);
        memory_estimate_ = llama_model_size(rt->model.get()) + kv;
      }
      last_used_ = Clock::now();
    }
    loaded_cv_.notify_all();
    if (failure) {
      log::warn(failure->message);
      for (auto& job : refused) {
        job->sink->push(wire::StreamError{*failure});
        job->sink->end();
      }
      for (auto& job : refused_embeddings) job->done(*failure);
      rt.reset();
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [&] { return stopping_; });
      return;
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    log::info("model '" + id_ + "' loaded from " + path_ + " in " + std::to_string(ms) + " ms (" +
              std::to_string(options_.slots) + " slots x " + std::to_string(rt->ctx_per_slot) + " tokens, " +
              std::to_string(threads) + " threads)");
  }

  auto& r = *rt;
  llama_memory_t memory = llama_get_memory(r.ctx.get());

  auto end_job = [&](Runtime::Slot& slot) {
    slot.job.reset();
    slot.sampler.reset();
    slot.filter.reset();
    slot.pending = -1;
    slot.output_index = -1;
    std::lock_guard lock(mutex_);
    --running_;
    last_used_ = Clock::now();
  };
  auto fail_job = [&](Runtime::Slot& slot, const ApiError& error) {
    slot.job->sink->push(wire::StreamError{error});
    slot.job->sink->end();
    end_job(slot);
  };
  auto finish_job = [&](Runtime::Slot& slot, wire::FinishReason reason) {
    auto& sink = *slot.job->sink;
    std::string rest = slot.filter->flush();  // empty after a stop string
    if (!rest.empty()) sink.push(wire::TextDelta{0, std::move(rest)});
    sink.push(wire::Finish{0, reason});
    wire::Usage usage;
    usage.prompt_tokens = static_cast<int64_t>(slot.prompt.size());
    usage.completion_tokens = slot.generated;
    usage.cached_tokens = slot.reused;
    sink.push(usage);
    sink.end();
    end_job(slot);
  };

  // Renders and tokenizes a job's prompt and puts it in the free slot that shares the longest prefix.
  auto start_job = [&](std::shared_ptr<GenerationJob> job) {
    auto refuse = [&](ApiError e) {
      job->sink->push(wire::StreamError{std::move(e)});
      job->sink->end();
      std::lock_guard lock(mutex_);
      --running_;
      last_used_ = Clock::now();
    };
    std::string text;
    std::vector<std::string> stops = job->params.stop;
    if (job->chat) {
      auto rendered = r.chat->render(job->messages);
      if (!rendered) return refuse(rendered.take_error());
      text = std::move(rendered->text);
      for (auto& s : rendered->extra_stops) stops.push_back(std::move(s));
    } else {
      text = job->prompt;
    }
    std::vector<llama_token> tokens =
        common_tokenize(r.vocab, text, /*add_special=*/true, /*parse_special=*/true);
    if (tokens.empty()) {
      return refuse(ApiError::invalid_request("The prompt is empty.", job->chat ? "messages" : "prompt"));
    }
    if (static_cast<int64_t>(tokens.size()) >= r.ctx_per_slot) {
      return refuse(ApiError::invalid_request(
          "This model's maximum context length is " + std::to_string(r.ctx_per_slot) +
              " tokens. However, your " + (job->chat ? "messages" : "prompt") + " resulted in " +
              std::to_string(tokens.size()) + " tokens. Please reduce the length of the " +
              (job->chat ? "messages." : "prompt."),
          job->chat ? "messages" : "prompt", "context_length_exceeded"));
    }
    Runtime::Slot* best = nullptr;
    size_t best_prefix = 0;
    for (auto& slot : r.slots) {
      if (slot.job) continue;
      size_t prefix = common_prefix(slot.cache, tokens);
      if (!best || prefix > best_prefix) {
        best = &slot;
        best_prefix = prefix;
      }
    }
    auto& slot = *best;
    size_t keep = std::min(best_prefix, tokens.size() - 1);  // the last prompt token is always evaluated
    if (!llama_memory_seq_rm(memory, slot.seq, static_cast<llama_pos>(keep), -1)) {
      llama_memory_seq_rm(memory, slot.seq, -1, -1);
      keep = 0;
    }
    slot.cache.resize(keep);
    slot.job = std::move(job);
    slot.prompt = std::move(tokens);
    slot.prompt_pos = keep;
    slot.reused = static_cast<int64_t>(keep);
    slot.generated = 0;
    slot.max_tokens = slot.job->params.max_tokens.value_or(INT64_MAX);
    slot.sampler = make_sampler(slot.job->params, r.vocab);
    slot.filter.emplace(std::move(stops));
    slot.pending = -1;
    slot.output_index = -1;
  };

  auto run_embeddings = [&](EmbeddingJob& job) {
    if (!r.embedding_ctx) {
      llama_context_params cp = llama_context_default_params();
      cp.n_ctx = static_cast<uint32_t>(r.ctx_per_slot);
      cp.n_batch = cp.n_ubatch = static_cast<uint32_t>(r.ctx_per_slot);
      cp.n_seq_max = 1;
      cp.n_threads = cp.n_threads_batch = threads;
      cp.embeddings = true;
      cp.no_perf = true;
      cp.pooling_type = LLAMA_POOLING_TYPE_UNSPECIFIED;
      r.embedding_ctx.reset(llama_init_from_model(r.model.get(), cp));
      if (r.embedding_ctx && llama_pooling_type(r.embedding_ctx.get()) == LLAMA_POOLING_TYPE_NONE) {
        cp.pooling_type = LLAMA_POOLING_TYPE_MEAN;  // a generative model: average its token states
        r.embedding_ctx.reset(llama_init_from_model(r.model.get(), cp));
      }
      if (!r.embedding_ctx) {
        job.done(ApiError::server(500, "The model '" + id_ + "' cannot compute embeddings.",
                                  "embeddings_unavailable"));
        return;
      }
    }
    llama_context* ectx = r.embedding_ctx.get();
    const int n_embd = llama_model_n_embd(r.model.get());
    std::vector<std::vector<float>> vectors;
    int64_t prompt_tokens = 0;
    llama_batch one = llama_batch_init(r.ctx_per_slot, 0, 1);
    for (size_t i = 0; i < job.inputs.size(); ++i) {
      auto tokens = common_tokenize(r.vocab, job.inputs[i], /*add_special=*/true, /*parse_special=*/false);
      if (tokens.empty() || static_cast<int32_t>(tokens.size()) > r.ctx_per_slot) {
        llama_batch_free(one);
        job.done(ApiError::invalid_request(
            tokens.empty() ? "Input " + std::to_string(i) + " is empty."
                           : "Input " + std::to_string(i) + " has " + std::to_string(tokens.size()) +
                                 " tokens; this model's maximum context length is " +
                                 std::to_string(r.ctx_per_slot) + ".",
            "input"));
        return;
      }
      prompt_tokens += static_cast<int64_t>(tokens.size());
      llama_memory_clear(llama_get_memory(ectx), true);
      one.n_tokens = 0;
      for (size_t t = 0; t < tokens.size(); ++t) {
        one.token[t] = tokens[t];
        one.pos[t] = static_cast<llama_pos>(t);
        one.n_seq_id[t] = 1;
        one.seq_id[t][0] = 0;
        one.logits[t] = 1;
        ++one.n_tokens;
      }
      int rc = llama_model_has_encoder(r.model.get()) ? llama_encode(ectx, one) : llama_decode(ectx, one);
      const float* e = rc == 0 ? llama_get_embeddings_seq(ectx, 0) : nullptr;
      if (!e) {
        llama_batch_free(one);
        job.done(ApiError::server(
            500, "Computing the embedding failed (llama.cpp status " + std::to_string(rc) + ")."));
        return;
      }
      double norm = 0;
      for (int k = 0; k < n_embd; ++k) norm += static_cast<double>(e[k]) * e[k];
      norm = std::sqrt(norm);
      std::vector<float> v(e, e + n_embd);
      if (norm > 0) {
        for (auto& x : v) x = static_cast<float>(x / norm);
      }
      vectors.push_back(std::move(v));
    }
    llama_batch_free(one);
    job.done(std::make_pair(std::move(vectors), prompt_tokens));
  };

  auto has_work = [&] {
    for (auto& s : r.slots) {
      if (s.job) return true;
    }
    return false;
  };

  for (;;) {
    // Take new work: cancelled queued jobs are dropped, the rest fill free slots in arrival order.
    std::vector<std::shared_ptr<GenerationJob>> admitted;
    std::vector<std::shared_ptr<GenerationJob>> dropped;
    std::shared_ptr<EmbeddingJob> embedding;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock,
                    [&] { return stopping_ || !queue_.empty() || !embedding_queue_.empty() || has_work(); });
      if (stopping_) break;
      size_t free_slots = 0;
      for (auto& s : r.slots) free_slots += s.job ? 0 : 1;
      for (auto it = queue_.begin(); it != queue_.end();) {
        if ((*it)->cancelled.load()) {
          dropped.push_back(std::move(*it));
          it = queue_.erase(it);
        } else if (admitted.size() < free_slots) {
          admitted.push_back(std::move(*it));
          it = queue_.erase(it);
          ++running_;
        } else {
          ++it;
        }
      }
      if (!embedding_queue_.empty()) {
        embedding = std::move(embedding_queue_.front());
        embedding_queue_.pop_front();
        ++running_;
      }
      if (!dropped.empty()) last_used_ = Clock::now();
    }
    for (auto& job : dropped) job->sink->end();
    for (auto& job : admitted) start_job(std::move(job));
    if (embedding) {
      run_embeddings(*embedding);
      std::lock_guard lock(mutex_);
      --running_;
      last_used_ = Clock::now();
    }

    // Running jobs whose client left free their slot now (the evaluated tokens stay cached).
    for (auto& slot : r.slots) {
      if (slot.job && slot.job->cancelled.load()) {
        slot.job->sink->end();
        end_job(slot);
      }
    }

    // One step: each generating slot's last token, then prompt chunks in the room left.
    llama_batch& batch = *r.batch;
    batch.n_tokens = 0;
    auto add = [&](Runtime::Slot& slot, llama_token token, bool output) {
      int32_t i = batch.n_tokens++;
      batch.token[i] = token;
      batch.pos[i] = static_cast<llama_pos>(slot.cache.size());
      batch.n_seq_id[i] = 1;
      batch.seq_id[i][0] = slot.seq;
      batch.logits[i] = output ? 1 : 0;
      slot.cache.push_back(token);
      if (output) slot.output_index = i;
    };
    for (auto& slot : r.slots) {
      if (slot.job && slot.pending >= 0) {
        add(slot, slot.pending, true);
        slot.pending = -1;
      }
    }
    const size_t n_slots = r.slots.size();
    for (size_t k = 0; k < n_slots && batch.n_tokens < r.batch_size; ++k) {
      auto& slot = r.slots[(r.prompt_turn + k) % n_slots];
      if (!slot.job || slot.prompt_pos >= slot.prompt.size()) continue;
      while (slot.prompt_pos < slot.prompt.size() && batch.n_tokens < r.batch_size) {
        bool last = slot.prompt_pos + 1 == slot.prompt.size();
        add(slot, slot.prompt[slot.prompt_pos++], last);
      }
    }
    r.prompt_turn = (r.prompt_turn + 1) % n_slots;
    if (batch.n_tokens == 0) continue;

    int rc = llama_decode(r.ctx.get(), batch);
    if (rc != 0) {
      ApiError e = ApiError::server(500, "The embedded engine failed to evaluate the model '" + id_ +
                                             "' (llama_decode returned " + std::to_string(rc) + ").");
      for (auto& slot : r.slots) {
        if (!slot.job) continue;
        llama_memory_seq_rm(memory, slot.seq, -1, -1);
        slot.cache.clear();
        fail_job(slot, e);
      }
      continue;
    }

    for (auto& slot : r.slots) {
      if (!slot.job || slot.output_index < 0) continue;
      llama_token token = llama_sampler_sample(slot.sampler.get(), r.ctx.get(), slot.output_index);
      slot.output_index = -1;
      ++slot.generated;
      if (llama_vocab_is_eog(r.vocab, token) && !slot.job->params.ignore_eos) {
        finish_job(slot, wire::FinishReason::kStop);
        continue;
      }
      std::string piece = common_token_to_piece(r.ctx.get(), token, /*special=*/false);
      auto out = slot.filter->feed(piece);
      if (!out.text.empty()) slot.job->sink->push(wire::TextDelta{0, std::move(out.text)});
      if (out.stopped) {
        finish_job(slot, wire::FinishReason::kStop);
      } else if (slot.generated >= slot.max_tokens ||
                 static_cast<int32_t>(slot.cache.size()) + 1 >= r.ctx_per_slot) {
        finish_job(slot, wire::FinishReason::kLength);
      } else {
        slot.pending = token;
      }
    }
  }

  // Stopping: whatever still runs or waits ends with an error.
  std::vector<std::shared_ptr<GenerationJob>> waiting;
  std::vector<std::shared_ptr<EmbeddingJob>> waiting_embeddings;
  {
    std::lock_guard lock(mutex_);
    waiting.assign(queue_.begin(), queue_.end());
    waiting_embeddings.assign(embedding_queue_.begin(), embedding_queue_.end());
    queue_.clear();
    embedding_queue_.clear();
  }
  for (auto& slot : r.slots) {
    if (slot.job) fail_job(slot, unloaded_error(id_));
  }
  for (auto& job : waiting) {
    job->sink->push(wire::StreamError{unloaded_error(id_)});
    job->sink->end();
  }
  for (auto& job : waiting_embeddings) job->done(unloaded_error(id_));
}

}  // namespace quorum::engines::llamacpp
