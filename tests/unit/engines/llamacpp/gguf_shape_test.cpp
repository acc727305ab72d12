// A model's shape from its GGUF metadata, which sizes its context cache before it loads.
#include <gtest/gtest.h>

#include <map>

#include "engines/llamacpp/gguf_file.h"

namespace quorum::engines::llamacpp {
namespace {

MetadataNumber from(std::map<std::string, uint64_t> values) {
  return [values = std::move(values)](const std::string& key) -> std::optional<uint64_t> {
    auto it = values.find(key);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ShapeFromMetadata, GroupedQueryAttentionCountsTheKeyValueHeadsOnly) {
  // Llama 3 8B: 32 layers, 4096 wide, 32 heads of 128, 8 KV heads.
  auto shape = shape_from_metadata("llama", from({{"llama.block_count", 32},
                                                  {"llama.context_length", 8192},
                                                  {"llama.embedding_length", 4096},
                                                  {"llama.attention.head_count", 32},
                                                  {"llama.attention.head_count_kv", 8}}));
  EXPECT_EQ(shape, (ModelShape{32, 8 * (128 + 128), 8192}));
}

TEST(ShapeFromMetadata, ExplicitKeyAndValueLengthsWin) {
  auto shape = shape_from_metadata("gemma2", from({{"gemma2.block_count", 26},
                                                   {"gemma2.embedding_length", 2304},
                                                   {"gemma2.attention.head_count", 8},
                                                   {"gemma2.attention.head_count_kv", 4},
                                                   {"gemma2.attention.key_length", 256},
                                                   {"gemma2.attention.value_length", 256}}));
  EXPECT_EQ(shape.kv_per_token, 4u * 512);
  EXPECT_EQ(shape.train_ctx, 0u);
}

TEST(ShapeFromMetadata, WithoutHeadCountsEveryWidthIsCounted) {
  auto shape =
      shape_from_metadata("mamba", from({{"mamba.block_count", 4}, {"mamba.embedding_length", 768}}));
  EXPECT_EQ(shape, (ModelShape{4, 2 * 768, 0}));
  EXPECT_EQ(shape_from_metadata("x", from({})), ModelShape{});
}

TEST(ShapeFromMetadata, KeysOfAnotherArchitectureAreIgnored) {
  auto shape = shape_from_metadata("llama", from({{"qwen2.block_count", 28}}));
  EXPECT_EQ(shape.layers, 0u);
}

TEST(ShapeFromMetadata, AbsurdNumbersAreCappedSoNothingOverflows) {
  const uint64_t huge = uint64_t{1} << 62;
  auto shape = shape_from_metadata("llama", from({{"llama.block_count", huge},
                                                  {"llama.embedding_length", huge},
                                                  {"llama.attention.head_count", 1},
                                                  {"llama.attention.head_count_kv", huge}}));
  EXPECT_EQ(shape.layers, uint64_t{1} << 24);
  EXPECT_EQ(shape.kv_per_token, (uint64_t{1} << 24) * (uint64_t{1} << 25));
}

}  // namespace
}  // namespace quorum::engines::llamacpp
