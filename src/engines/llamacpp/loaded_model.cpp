#include "engines/llamacpp/loaded_model.h"

#include <algorithm>
#include <filesystem>

#include "core/log.h"
#include "engines/llamacpp/batch_decoder.h"
#include "engines/llamacpp/chat_prompt.h"
#include "engines/llamacpp/embedder.h"
#include "engines/llamacpp/llama_handles.h"
#include "engines/llamacpp/llama_runtime.h"
#include "engines/llamacpp/memory_plan.h"

namespace quorum::engines::llamacpp {

namespace {

ApiError unloaded_error(const std::string& id) {
  return ApiError::server(503, "The model '" + id + "' was unloaded while the request was running.",
                          "model_unloaded");
}

}  // namespace

LoadedModel::LoadedModel(std::string id, std::string path, ModelOptions options, ModelShape shape)
    : id_(std::move(id)), path_(std::move(path)), options_(options), shape_(shape), last_used_(Clock::now()) {
  std::error_code ec;
  uint64_t file_size = std::filesystem::file_size(path_, ec);
  memory_estimate_ = memory_need(ec ? 0 : file_size, shape_, options_.slots, options_.ctx_per_slot).total();
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

Status LoadedModel::admission_locked(JobKind kind, size_t waiting) const {
  if (state_ == State::kFailed) return *load_error_;
  if (stopping_) return unloaded_error(id_);
  if (auto refusal =
          queue_refusal(id_, kind, waiting, static_cast<size_t>(options_.queue_limit), options_.slots))
    return *std::move(refusal);
  return Ok{};
}

Status LoadedModel::submit(std::shared_ptr<GenerationJob> job) {
  {
    std::lock_guard lock(mutex_);
    auto admitted = admission_locked(JobKind::kGeneration, queue_.size());
    if (!admitted) return admitted;
    queue_.push_back(std::move(job));
  }
  work_cv_.notify_one();
  return Ok{};
}

Status LoadedModel::submit(std::shared_ptr<EmbeddingJob> job) {
  {
    std::lock_guard lock(mutex_);
    auto admitted = admission_locked(JobKind::kEmbedding, embedding_queue_.size());
    if (!admitted) return admitted;
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

namespace {

struct Loaded {
  ModelPtr model;
  ContextPtr ctx;
  int32_t ctx_per_slot = 0;
  int32_t batch_size = 0;
};

Result<Loaded> load_model(const std::string& id, const std::string& path, const ModelOptions& options,
                          int threads) {
  LoadErrorCapture capture;
  Loaded out;
  llama_model_params mp = llama_model_default_params();
  // Read the weights into memory rather than mapping the file: a file overwritten in place while mapped
  // would kill the whole node with SIGBUS (users do replace model files while the node runs).
  mp.load_mode = LLAMA_LOAD_MODE_NONE;
  mp.lazy_mode = LLAMA_LAZY_MODE_OFF;
  out.model.reset(llama_model_load_from_file(path.c_str(), mp));
  if (!out.model) {
    std::string why = capture.text();
    return ApiError::server(
        500, "The model '" + id + "' could not be loaded from " + path + (why.empty() ? "." : ": " + why),
        "model_load_failed");
  }
  int32_t train = llama_model_n_ctx_train(out.model.get());
  out.ctx_per_slot = slot_context(options.ctx_per_slot, train > 0 ? static_cast<uint64_t>(train) : 0);
  out.batch_size = std::max(options.batch, options.slots);
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<uint32_t>(out.ctx_per_slot) * static_cast<uint32_t>(options.slots);
  cp.n_batch = static_cast<uint32_t>(out.batch_size);
  cp.n_ubatch = static_cast<uint32_t>(out.batch_size);
  cp.n_seq_max = static_cast<uint32_t>(options.slots);
  cp.n_threads = threads;
  cp.n_threads_batch = threads;
  cp.no_perf = true;
  cp.kv_unified = false;  // each slot its own cache: slots do not share long prefixes
  out.ctx.reset(llama_init_from_model(out.model.get(), cp));
  if (!out.ctx) {
    return ApiError::server(500,
                            "The model '" + id + "' loaded but its context (" + std::to_string(cp.n_ctx) +
                                " tokens) could not be created: " + capture.text(),
                            "model_load_failed");
  }
  return out;
}

// The shape read from the file's metadata; from llama.cpp's view of the loaded model when there was none.
ModelShape loaded_shape(const llama_model* m, const ModelShape& from_file) {
  if (from_file.layers > 0 && from_file.kv_per_token > 0) return from_file;
  ModelShape shape;
  shape.layers = static_cast<uint64_t>(std::max(llama_model_n_layer(m), 0));
  shape.train_ctx = static_cast<uint64_t>(std::max(llama_model_n_ctx_train(m), 0));
  const int32_t heads = llama_model_n_head(m);
  const int64_t embd = llama_model_n_embd(m);
  shape.kv_per_token = heads > 0
                           ? static_cast<uint64_t>(
                                 int64_t{2} * std::max<int64_t>(llama_model_n_head_kv(m), 0) * (embd / heads))
                           : static_cast<uint64_t>(int64_t{2} * std::max<int64_t>(embd, 0));
  return shape;
}

}  // namespace

void LoadedModel::run() {
  ensure_llama_initialized();
  const int threads = options_.threads > 0
                          ? options_.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  auto started = Clock::now();
  auto loaded = load_model(id_, path_, options_, threads);
  {
    std::lock_guard lock(mutex_);
    if (!loaded) {
      state_ = State::kFailed;  // from now on submit() refuses with the load error
      load_error_ = loaded.error();
    } else {
      state_ = State::kReady;
      // The weights as loaded, plus keys and values for every slot's context.
      const auto* m = loaded->model.get();
      memory_estimate_ =
          memory_need(llama_model_size(m), loaded_shape(m, shape_), options_.slots, loaded->ctx_per_slot)
              .total();
    }
    last_used_ = Clock::now();
  }
  if (!loaded) {
    log::warn(loaded.error().message);
    fail_queued(loaded.error());
    std::unique_lock lock(mutex_);
    work_cv_.wait(lock, [&] { return stopping_; });
    return;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  log::info("model '" + id_ + "' loaded from " + path_ + " in " + std::to_string(ms) + " ms (" +
            std::to_string(options_.slots) + " slots x " + std::to_string(loaded->ctx_per_slot) +
            " tokens, " + std::to_string(threads) + " threads)");

  auto job_ended = [this] {
    std::lock_guard lock(mutex_);
    --running_;
    last_used_ = Clock::now();
  };
  ChatPrompt chat(loaded->model.get());
  BatchDecoder decoder(loaded->model.get(), loaded->ctx.get(), chat, options_.slots, loaded->ctx_per_slot,
                       loaded->batch_size, job_ended);
  EmbeddingRunner embeddings(id_, loaded->model.get(), loaded->ctx_per_slot, threads, loaded->batch_size,
                             job_ended);

  for (;;) {
    // Take new work: cancelled queued jobs are dropped, the rest fill free slots (and the embedding runner)
    // in arrival order.
    std::vector<std::shared_ptr<GenerationJob>> admitted;
    std::vector<std::shared_ptr<GenerationJob>> dropped;
    std::vector<std::shared_ptr<EmbeddingJob>> dropped_embeddings;
    std::shared_ptr<EmbeddingJob> embedding;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [&] {
        return stopping_ || !queue_.empty() || !embedding_queue_.empty() || !decoder.idle() ||
               embeddings.busy();
      });
      if (stopping_) break;
      const size_t free_slots = decoder.free_slots();
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
      for (auto it = embedding_queue_.begin(); it != embedding_queue_.end();) {
        if ((*it)->cancelled.load()) {
          dropped_embeddings.push_back(std::move(*it));
          it = embedding_queue_.erase(it);
        } else if (!embedding && !embeddings.busy()) {
          embedding = std::move(*it);
          it = embedding_queue_.erase(it);
          ++running_;
        } else {
          ++it;
        }
      }
      if (!dropped.empty() || !dropped_embeddings.empty()) last_used_ = Clock::now();
    }
    for (auto& job : dropped) job->sink->end();
    for (auto& job : dropped_embeddings) {
      log::info("model '" + id_ + "': embeddings dropped before they started (" +
                std::to_string(job->inputs.size()) + " inputs): the client left");
      job->done(ApiError::client_closed());
    }
    for (auto& job : admitted) decoder.start(std::move(job));
    if (embedding) embeddings.start(std::move(embedding));
    // One slice of the running embedding request, then one decode step of the generations.
    embeddings.step();
    decoder.drop_cancelled();
    decoder.step();
  }

  // Stopping: whatever still runs or waits ends with an error.
  decoder.fail_all(unloaded_error(id_));
  embeddings.fail(unloaded_error(id_));
  fail_queued(unloaded_error(id_));
}

void LoadedModel::fail_queued(const ApiError& error) {
  std::deque<std::shared_ptr<GenerationJob>> jobs;
  std::deque<std::shared_ptr<EmbeddingJob>> embeddings;
  {
    std::lock_guard lock(mutex_);
    jobs.swap(queue_);
    embeddings.swap(embedding_queue_);
  }
  for (auto& job : jobs) job->fail(error);
  for (auto& job : embeddings) job->done(error);
}

}  // namespace quorum::engines::llamacpp
