// The memory budget's decisions: what a model needs, and whether it loads, waits for models in use, or never
// loads (a model larger than the budget must be refused, not loaded into an OOM kill).
#include "engines/llamacpp/memory_plan.h"

#include <gtest/gtest.h>

#include <limits>

namespace quorum::engines::llamacpp {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
using Clock = std::chrono::steady_clock;
using Verdict = LoadPlan::Verdict;

Clock::time_point at(int seconds) {
  return Clock::time_point{} + std::chrono::seconds(seconds);
}

ResidentModel idle(std::string id, uint64_t mib_, int last_used) {
  return {std::move(id), mib_ * kMiB, false, at(last_used)};
}

ResidentModel busy(std::string id, uint64_t mib_, int last_used = 0) {
  return {std::move(id), mib_ * kMiB, true, at(last_used)};
}

TEST(SlotContext, ConfiguredWinsElseTrainingContextAtMost4096) {
  EXPECT_EQ(slot_context(16384, 2048), 16384);
  EXPECT_EQ(slot_context(0, 2048), 2048);
  EXPECT_EQ(slot_context(0, 131072), 4096);
  EXPECT_EQ(slot_context(0, 0), 4096);
}

TEST(MemoryNeed, WeightsPlusF16KeysAndValuesOfEverySlot) {
  // The test models: 2 layers, 2 KV heads of 16 (keys) + 16 (values) elements.
  ModelShape tiny{2, 64, 2048};
  auto need = memory_need(9066080, tiny, 1, 16384);
  EXPECT_EQ(need.cache, 2u * 2 * 64 * 16384);  // 4 MiB
  EXPECT_EQ(need.total(), 9066080u + 4 * kMiB);
  EXPECT_EQ(need.ctx_per_slot, 16384);

  auto defaults = memory_need(1000, tiny, 4, 0);  // 4 slots of the training context
  EXPECT_EQ(defaults.ctx_per_slot, 2048);
  EXPECT_EQ(defaults.cache, 2u * 2 * 64 * 2048 * 4);
}

TEST(MemoryNeed, UnknownShapeCountsTheWeightsOnly) {
  auto need = memory_need(5 * kMiB, ModelShape{}, 4, 0);
  EXPECT_EQ(need.cache, 0u);
  EXPECT_EQ(need.total(), 5 * kMiB);
}

TEST(MemoryNeed, HostileShapesSaturateInsteadOfWrapping) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  ModelShape huge{uint64_t{1} << 24, uint64_t{1} << 49, 0};
  EXPECT_EQ(kv_cache_bytes(huge, 64, 1 << 20), max);
  EXPECT_EQ(memory_need(max - 1, huge, 1, 1).total(), max);
}

TEST(PlanLoad, FitsBesideTheOthersWithoutUnloading) {
  auto plan = plan_load(10 * kMiB, 100 * kMiB, {idle("a", 40, 1), busy("b", 40)});
  EXPECT_EQ(plan.verdict, Verdict::kLoad);
  EXPECT_TRUE(plan.evict.empty());
}

TEST(PlanLoad, LargerThanTheWholeBudgetNeverLoadsAndUnloadsNothing) {
  auto plan = plan_load(101 * kMiB, 100 * kMiB, {idle("a", 10, 1)});
  EXPECT_EQ(plan.verdict, Verdict::kTooLarge);
  EXPECT_TRUE(plan.evict.empty());
  EXPECT_EQ(plan_load(101 * kMiB, 100 * kMiB, {}).verdict, Verdict::kTooLarge);
  EXPECT_EQ(plan_load(100 * kMiB, 100 * kMiB, {}).verdict, Verdict::kLoad);  // exactly the budget fits
}

TEST(PlanLoad, UnloadsIdleModelsLeastRecentlyUsedFirstUntilItFits) {
  // 120 MiB held; 40 more fit once 60 MiB of idle models are gone.
  auto plan =
      plan_load(40 * kMiB, 100 * kMiB,
                {idle("recent", 30, 9), idle("oldest", 30, 1), busy("serving", 30), idle("older", 30, 5)});
  EXPECT_EQ(plan.verdict, Verdict::kLoad);
  EXPECT_EQ(plan.evict, (std::vector<std::string>{"oldest", "older"}));
}

TEST(PlanLoad, ModelsInUseHoldingTheBudgetMakeItWaitAndNothingIsUnloadedForNothing) {
  auto plan = plan_load(50 * kMiB, 100 * kMiB, {idle("idle", 20, 1), busy("a", 40), busy("b", 30)});
  EXPECT_EQ(plan.verdict, Verdict::kBudgetInUse);
  EXPECT_TRUE(plan.evict.empty());
  EXPECT_EQ(plan.in_use, (std::vector<std::string>{"a", "b"}));
}

TEST(PlanLoad, FailedModelsHoldNothing) {
  auto plan = plan_load(60 * kMiB, 100 * kMiB, {busy("failed", 0), idle("a", 40, 1)});
  EXPECT_EQ(plan.verdict, Verdict::kLoad);
  EXPECT_TRUE(plan.evict.empty());
}

TEST(MemoryErrors, NameTheModelItsNeedAndTheBudget) {
  MemoryNeed need{60 * kMiB, 4 * kMiB, 4, 2048};
  auto e = too_large_error("big", need, 40 * kMiB);
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(e.type, "server_error");
  EXPECT_EQ(e.code, "model_too_large");
  EXPECT_EQ(
      e.message,
      "The model 'big' needs about 64 MiB of memory (60 MiB of weights, 4 MiB of context cache for 4 slots "
      "of 2048 tokens), more than the node's memory budget for models of 40 MiB, so it is not loaded. "
      "Raise --model-memory, or lower --model-ctx or --model-slots.");

  auto busy_error = budget_in_use_error("b", need, 100 * kMiB, {"a", "c"});
  EXPECT_EQ(busy_error.status, 503);
  EXPECT_EQ(busy_error.code, "model_memory_busy");
  EXPECT_NE(busy_error.message.find("held by the models 'a', 'c', serving requests"), std::string::npos)
      << busy_error.message;
}

TEST(Mib, RoundsUp) {
  EXPECT_EQ(mib(0), "0 MiB");
  EXPECT_EQ(mib(kMiB), "1 MiB");
  EXPECT_EQ(mib(kMiB + 1), "2 MiB");
}

}  // namespace
}  // namespace quorum::engines::llamacpp
