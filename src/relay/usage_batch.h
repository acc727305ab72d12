// Usage gathered in memory between two writes to the Store: the records of one (day, cluster, key, node,
// model) are summed into one row, so that a busy relay writes one transaction every few seconds
// (Store::record_usage of take()) instead of one synced transaction per request.
//
// Memory: one row per distinct combination since the last take(). add() says when max_rows are held; the
// caller then writes them at once (the rows past max_rows are still kept, never dropped).
// Pure; not thread-safe (one owner, the relay's thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "relay/store.h"

namespace quorum::relay {

class UsageBatch {
 public:
  explicit UsageBatch(size_t max_rows = 10000) : max_rows_(max_rows) {}

  // Adds the record's counts to its row. A record that Store::record_usage would refuse (a malformed day, an
  // empty or over-long id or model) is dropped and counted instead, so that one bad record never fails a
  // whole batch. True when the batch now holds max_rows rows or more: take() now.
  bool add(const UsageRecord& record);
  // The rows gathered, by day, cluster, key, node and model, and an empty batch. When writing them fails (a
  // 5xx: the database), add() them back to try again later.
  std::vector<UsageRecord> take();
  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  // How many records add() dropped, since the start.
  uint64_t dropped() const { return dropped_; }

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  size_t max_rows_;
  std::map<Key, UsageRecord> rows_;
  uint64_t dropped_ = 0;
};

}  // namespace quorum::relay
