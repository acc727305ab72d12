// The model thread's rules: bounded queues per kind (429 in OpenAI's shape), and embedding slices that keep
// a large batch from stalling the generations on the same model.
#include "engines/llamacpp/model_schedule.h"

#include <gtest/gtest.h>

#include <vector>

namespace quorum::engines::llamacpp {
namespace {

TEST(QueueRefusal, AdmitsBelowTheLimit) {
  EXPECT_FALSE(queue_refusal("m", JobKind::kGeneration, 0, 1, 4));
  EXPECT_FALSE(queue_refusal("m", JobKind::kEmbedding, 31, 32, 4));
}

TEST(QueueRefusal, AFullQueueIs429ModelBusySayingWhy) {
  auto g = queue_refusal("m", JobKind::kGeneration, 2, 2, 4);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->status, 429);
  EXPECT_EQ(g->type, "rate_limit_error");
  EXPECT_EQ(g->code, "model_busy");
  EXPECT_EQ(g->message,
            "The model 'm' is busy: all 4 slots are generating and 2 requests are waiting. Retry shortly.");

  auto e = queue_refusal("m", JobKind::kEmbedding, 3, 3, 4);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 429);
  EXPECT_EQ(e->code, "model_busy");
  EXPECT_EQ(e->message,
            "The model 'm' is busy: it is computing embeddings and 3 embedding requests are waiting. Retry "
            "shortly.");
}

TEST(QueueRefusal, AQueueOfZeroRefusesEveryWaiter) {
  EXPECT_TRUE(queue_refusal("m", JobKind::kEmbedding, 0, 0, 1));
}

size_t slice(std::vector<size_t> tokens, size_t budget, size_t max_inputs = 128) {
  return slice_length(tokens, budget, max_inputs);
}

TEST(SliceLength, TakesInputsWhileTheyFitTheBudget) {
  EXPECT_EQ(slice({100, 100, 100, 100, 100, 100}, 512), 5u);
  EXPECT_EQ(slice({256, 256, 1}, 512), 2u);
  EXPECT_EQ(slice({10, 10}, 512), 2u);  // the last inputs
}

TEST(SliceLength, AnInputLargerThanTheBudgetIsASliceOfItsOwn) {
  EXPECT_EQ(slice({2000, 10, 10}, 512), 1u);
  EXPECT_EQ(slice({10, 2000, 10}, 512), 1u);
}

TEST(SliceLength, AtMostMaxInputs) {
  EXPECT_EQ(slice(std::vector<size_t>(500, 1), 512, 128), 128u);
  EXPECT_EQ(slice({5, 5, 5}, 512, 1), 1u);
}

TEST(SliceLength, NothingAheadIsAnEmptySlice) {
  EXPECT_EQ(slice({}, 512), 0u);
}

TEST(SliceLength, ABatchIsCoveredExactlyOnceInOrder) {
  std::vector<size_t> tokens;
  for (size_t i = 0; i < 1000; ++i) tokens.push_back(1 + (i * 37) % 700);
  size_t at = 0;
  size_t slices = 0;
  while (at < tokens.size()) {
    size_t n = slice_length(std::span<const size_t>(tokens).subspan(at), 512, 128);
    ASSERT_GE(n, 1u);
    size_t sum = 0;
    for (size_t i = at; i < at + n; ++i) sum += tokens[i];
    EXPECT_TRUE(n == 1 || sum <= 512) << "slice at " << at;
    at += n;
    ++slices;
  }
  EXPECT_EQ(at, tokens.size());
  EXPECT_GT(slices, 100u);  // many slices, each a short pause for the generations
}

}  // namespace
}  // namespace quorum::engines::llamacpp
