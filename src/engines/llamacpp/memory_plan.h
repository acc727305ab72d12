// How much memory a model takes and whether it may load (the `--model-memory` budget). Pure: the numbers come
// from the GGUF file (gguf_file.h) or the loaded model, the state of the models in memory from ModelManager.
//
// A model's need is its weights (read into memory, not mapped: the file size before it loads) plus the f16
// keys and values of every slot's context. A model that needs more than the whole budget is never loaded:
// loading it anyway is how a node gets killed by the kernel's OOM killer, taking every request with it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "engines/llamacpp/gguf_file.h"

namespace quorum::engines::llamacpp {

// Context tokens per slot: `configured` (--model-ctx) when positive, else the model's training context,
// at most 4096 (4096 when unknown).
int32_t slot_context(int configured, uint64_t train_ctx);

// Bytes of the f16 key/value cache of `slots` sequences of `ctx_per_slot` tokens (saturates, never wraps).
uint64_t kv_cache_bytes(const ModelShape& shape, int slots, int32_t ctx_per_slot);

// What a model takes in memory: `weights` bytes plus the cache of `slots` slots of slot_context(ctx, train).
struct MemoryNeed {
  uint64_t weights = 0;
  uint64_t cache = 0;
  int slots = 0;
  int32_t ctx_per_slot = 0;
  uint64_t total() const;
};
MemoryNeed memory_need(uint64_t weights, const ModelShape& shape, int slots, int ctx);

// A model in memory (or loading), as the plan sees it.
struct ResidentModel {
  std::string id;
  uint64_t bytes = 0;   // its estimate; 0 for a model that failed to load
  bool in_use = false;  // loading, or running or queueing requests: never unloaded to make room
  std::chrono::steady_clock::time_point last_used;
};

struct LoadPlan {
  enum class Verdict {
    kLoad,         // load it, after unloading `evict` (maybe none)
    kTooLarge,     // it needs more than the whole budget: it never loads
    kBudgetInUse,  // it fits the budget, but models serving requests hold too much of it now
  };
  Verdict verdict = Verdict::kLoad;
  std::vector<std::string> evict;   // kLoad: the idle models to unload first, least recently used first
  std::vector<std::string> in_use;  // kBudgetInUse: the models in use that hold the budget
};

// Whether a model needing `need` bytes may load beside `residents` within `budget`: the least recently used
// idle models are unloaded until it fits; when even unloading every idle one would not make room, nothing is
// unloaded.
LoadPlan plan_load(uint64_t need, uint64_t budget, const std::vector<ResidentModel>& residents);

// "12 MiB" (rounded up, so that a need never reads as fitting when it does not).
std::string mib(uint64_t bytes);

// 503 model_too_large: the model, what it needs (weights and cache), the budget and what to change.
ApiError too_large_error(const std::string& id, const MemoryNeed& need, uint64_t budget);
// 503 model_memory_busy: the model, what it needs, the budget and the models in use that hold it; retry
// later.
ApiError budget_in_use_error(const std::string& id, const MemoryNeed& need, uint64_t budget,
                             const std::vector<std::string>& in_use);

}  // namespace quorum::engines::llamacpp
