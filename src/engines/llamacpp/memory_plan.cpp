#include "engines/llamacpp/memory_plan.h"

#include <algorithm>
#include <limits>

namespace quorum::engines::llamacpp {

namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

uint64_t mul(uint64_t a, uint64_t b) {
  if (a != 0 && b > kMax / a) return kMax;
  return a * b;
}

uint64_t add(uint64_t a, uint64_t b) {
  return b > kMax - a ? kMax : a + b;
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "'" : ", '") + id + "'";
  return out;
}

std::string need_text(const std::string& id, const MemoryNeed& need) {
  return "The model '" + id + "' needs about " + mib(need.total()) + " of memory (" + mib(need.weights) +
         " of weights, " + mib(need.cache) + " of context cache for " + std::to_string(need.slots) +
         (need.slots == 1 ? " slot of " : " slots of ") + std::to_string(need.ctx_per_slot) + " tokens)";
}

}  // namespace

int32_t slot_context(int configured, uint64_t train_ctx) {
  if (configured > 0) return configured;
  return static_cast<int32_t>(train_ctx > 0 ? std::min<uint64_t>(train_ctx, 4096) : 4096);
}

uint64_t kv_cache_bytes(const ModelShape& shape, int slots, int32_t ctx_per_slot) {
  constexpr uint64_t kF16 = 2;
  uint64_t tokens =
      mul(static_cast<uint64_t>(std::max(slots, 0)), static_cast<uint64_t>(std::max(ctx_per_slot, 0)));
  return mul(mul(mul(kF16, shape.layers), shape.kv_per_token), tokens);
}

uint64_t MemoryNeed::total() const {
  return add(weights, cache);
}

MemoryNeed memory_need(uint64_t weights, const ModelShape& shape, int slots, int ctx) {
  MemoryNeed need;
  need.weights = weights;
  need.slots = slots;
  need.ctx_per_slot = slot_context(ctx, shape.train_ctx);
  need.cache = kv_cache_bytes(shape, slots, need.ctx_per_slot);
  return need;
}

LoadPlan plan_load(uint64_t need, uint64_t budget, const std::vector<ResidentModel>& residents) {
  LoadPlan plan;
  if (need > budget) {
    plan.verdict = LoadPlan::Verdict::kTooLarge;
    return plan;
  }
  uint64_t used = 0;
  std::vector<const ResidentModel*> idle;
  for (const auto& r : residents) {
    used = add(used, r.bytes);
    if (!r.in_use && r.bytes > 0) idle.push_back(&r);
  }
  std::stable_sort(idle.begin(), idle.end(), [](const ResidentModel* a, const ResidentModel* b) {
    return a->last_used < b->last_used;
  });
  for (const ResidentModel* r : idle) {
    if (add(used, need) <= budget) break;
    used -= r->bytes;
    plan.evict.push_back(r->id);
  }
  if (add(used, need) <= budget) return plan;
  plan.verdict = LoadPlan::Verdict::kBudgetInUse;
  plan.evict.clear();
  for (const auto& r : residents) {
    if (r.in_use && r.bytes > 0) plan.in_use.push_back(r.id);
  }
  return plan;
}

std::string mib(uint64_t bytes) {
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  return std::to_string(bytes / kMiB + (bytes % kMiB != 0 ? 1 : 0)) + " MiB";
}

ApiError too_large_error(const std::string& id, const MemoryNeed& need, uint64_t budget) {
  return ApiError::server(503,
                          need_text(id, need) + ", more than the node's memory budget for models of " +
                              mib(budget) +
                              ", so it is not loaded. Raise --model-memory, or lower --model-ctx or "
                              "--model-slots.",
                          "model_too_large");
}

ApiError budget_in_use_error(const std::string& id, const MemoryNeed& need, uint64_t budget,
                             const std::vector<std::string>& in_use) {
  return ApiError::server(503,
                          need_text(id, need) + "; the memory budget for models of " + mib(budget) +
                              " is held by " + (in_use.size() == 1 ? "the model " : "the models ") +
                              joined(in_use) + ", serving requests. Retry when they are done.",
                          "model_memory_busy");
}

}  // namespace quorum::engines::llamacpp
