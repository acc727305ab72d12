// RecentKeys: a bounded memory of keys heard recently (node ids an mDNS listener has logged, for example),
// for tables that strangers can fill. At most `capacity` keys: remembering one more forgets the one heard
// least recently; forget_older() drops those not heard for `max_age`. Pure (every call takes the time); not
// thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/rate_limit.h"

namespace quorum {

class RecentKeys {
 public:
  // `capacity` at least 1.
  RecentKeys(size_t capacity, RateClock::duration max_age);

  // Remembers `key` as heard at `now`. True when it was not remembered before (new, forgotten, or erased).
  bool touch(std::string_view key, RateClock::time_point now);
  bool contains(std::string_view key) const;
  void erase(std::string_view key);
  // Forgets the keys not heard since `now - max_age`.
  void forget_older(RateClock::time_point now);
  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    std::string key;
    RateClock::time_point heard;
  };

  size_t capacity_;
  RateClock::duration max_age_;
  std::list<Entry> order_;  // most recently heard first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace quorum
