#include "relay/usage_batch.h"

#include <limits>

#include "relay/store_checks.h"

namespace quorum::relay {

namespace {

uint64_t saturating_add(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max() : a + b;
}

}  // namespace

bool UsageBatch::add(const UsageRecord& r) {
  if (!store_checks::usage_record(r)) {
    ++dropped_;
    return rows_.size() >= max_rows_;
  }
  auto [it, added] = rows_.try_emplace(Key{r.day, r.cluster_id, r.key_id, r.node_id, r.model}, r);
  if (!added) {
    UsageRecord& row = it->second;
    row.requests = saturating_add(row.requests, r.requests);
    row.failed = saturating_add(row.failed, r.failed);
    row.prompt_tokens = saturating_add(row.prompt_tokens, r.prompt_tokens);
    row.completion_tokens = saturating_add(row.completion_tokens, r.completion_tokens);
  }
  return rows_.size() >= max_rows_;
}

std::vector<UsageRecord> UsageBatch::take() {
  std::vector<UsageRecord> out;
  out.reserve(rows_.size());
  for (auto& [key, row] : rows_) out.push_back(std::move(row));
  rows_.clear();
  return out;
}

}  // namespace quorum::relay
