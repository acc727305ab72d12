#include "core/recent_keys.h"

#include <algorithm>

namespace quorum {

RecentKeys::RecentKeys(size_t capacity, RateClock::duration max_age)
    : capacity_(std::max<size_t>(capacity, 1)), max_age_(max_age) {}

bool RecentKeys::touch(std::string_view key, RateClock::time_point now) {
  if (auto it = index_.find(std::string(key)); it != index_.end()) {
    it->second->heard = now;
    order_.splice(order_.begin(), order_, it->second);
    return false;
  }
  if (index_.size() >= capacity_) {
    index_.erase(order_.back().key);
    order_.pop_back();
  }
  order_.push_front(Entry{std::string(key), now});
  index_.emplace(order_.front().key, order_.begin());
  return true;
}

bool RecentKeys::contains(std::string_view key) const {
  return index_.count(std::string(key)) > 0;
}

void RecentKeys::erase(std::string_view key) {
  auto it = index_.find(std::string(key));
  if (it == index_.end()) return;
  order_.erase(it->second);
  index_.erase(it);
}

void RecentKeys::forget_older(RateClock::time_point now) {
  while (!order_.empty() && now - order_.back().heard > max_age_) {
    index_.erase(order_.back().key);
    order_.pop_back();
  }
}

}  // namespace quorum
