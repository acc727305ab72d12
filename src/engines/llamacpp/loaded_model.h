// LoadedModel: one GGUF model in memory and the thread that runs it.
//
// The thread loads the file, then runs a continuous-batching decode loop: up to `slots` generations share
// each llama_decode call (every running generation advances one token per step; prompts are fed in chunks
// that fit the batch beside them, so a long prompt never stalls the others). Requests beyond the slots wait
// in a queue; beyond `queue_limit` waiting requests, submit() refuses with 429. A slot keeps the tokens of
// its last request in the KV cache and a new request goes to the free slot sharing the longest prefix with
// it, so a conversation's next turn only evaluates what is new. Embedding requests run one at a time on the
// same thread, a slice of at most `batch` tokens between two decode steps (model_schedule.h); the others wait
// in their own queue, bounded by `queue_limit` too.
//
// Cancellation: a job whose `cancelled` flag is set is dropped before the next decode step (its slot frees
// within one token); a cancelled embedding job is dropped from its queue, or stops before its next input,
// and ends with a 499. Destroying the LoadedModel ends every running and queued job with an error and joins
// the thread. Thread-safety: all public members may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/result.h"
#include "engines/llamacpp/gguf_file.h"
#include "engines/llamacpp/job.h"
#include "engines/llamacpp/model_schedule.h"

namespace quorum::engines::llamacpp {

struct ModelOptions {
  int slots = 4;         // generations decoded together
  int ctx_per_slot = 0;  // context tokens per slot; 0: the model's training context, at most 4096
  int threads = 0;       // CPU threads for decoding; 0: one per core
  int queue_limit = 32;  // requests waiting for a slot before 429
  int batch = 512;       // tokens per decode step (prompt chunks share it), and per embedding slice
};

class LoadedModel {
 public:
  enum class State { kLoading, kReady, kFailed };
  using Clock = std::chrono::steady_clock;

  // Starts loading the file at `path`; `shape` (read from the file's metadata) sizes its memory estimate
  // until the model is loaded.
  LoadedModel(std::string id, std::string path, ModelOptions options, ModelShape shape);
  ~LoadedModel();
  LoadedModel(const LoadedModel&) = delete;
  LoadedModel& operator=(const LoadedModel&) = delete;

  const std::string& id() const { return id_; }
  const std::string& path() const { return path_; }
  State state() const;

  // Queues a job. Fails with 429 when too many of its kind are waiting, or with the load error if loading
  // failed.
  Status submit(std::shared_ptr<GenerationJob> job);
  Status submit(std::shared_ptr<EmbeddingJob> job);

  // Jobs running or queued.
  size_t busy() const;
  // When the last job ended (or the model was loaded); meaningful when busy() == 0.
  Clock::time_point last_used() const;
  // Bytes of memory the model is expected to hold (weights + KV cache); the file size until loaded.
  uint64_t memory_estimate() const;

 private:
  void run();  // the model's thread
  // Takes every queued job and ends it with `error`.
  void fail_queued(const ApiError& error);
  // The status of a submit() while `mutex_` is held: the load error, unloading, or a full queue of `kind`.
  Status admission_locked(JobKind kind, size_t waiting) const;

  const std::string id_;
  const std::string path_;
  const ModelOptions options_;
  const ModelShape shape_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;
  State state_ = State::kLoading;
  std::optional<ApiError> load_error_;
  std::deque<std::shared_ptr<GenerationJob>> queue_;
  std::deque<std::shared_ptr<EmbeddingJob>> embedding_queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  Clock::time_point last_used_;
  uint64_t memory_estimate_ = 0;

  std::thread thread_;
};

}  // namespace quorum::engines::llamacpp
