#include "core/rate_limit.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace quorum {

TokenBucket::TokenBucket(double per_second, double burst)
    : per_second_(std::max(per_second, 0.0)), burst_(std::max(burst, 1.0)), tokens_(burst_) {}

void TokenBucket::refill(RateClock::time_point now) {
  if (last_ && now > *last_) {
    const double seconds = std::chrono::duration<double>(now - *last_).count();
    tokens_ = std::min(burst_, tokens_ + seconds * per_second_);
  }
  if (!last_ || now > *last_) last_ = now;
}

bool TokenBucket::take(RateClock::time_point now) {
  refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

RateClock::time_point TokenBucket::next_token(RateClock::time_point now) const {
  const RateClock::time_point from = last_ ? std::max(now, *last_) : now;
  double tokens = tokens_;
  if (last_ && from > *last_) {
    tokens = std::min(burst_, tokens + std::chrono::duration<double>(from - *last_).count() * per_second_);
  }
  if (tokens >= 1.0) return from;
  if (per_second_ <= 0) return RateClock::time_point::max();
  const double wait = (1.0 - tokens) / per_second_;
  return from + std::chrono::duration_cast<RateClock::duration>(std::chrono::duration<double>(wait)) +
         RateClock::duration(1);  // rounding down would wake a hair before the token is whole
}

LogBudget::LogBudget(double per_second, double burst) : bucket_(per_second, burst) {}

std::optional<uint64_t> LogBudget::admit(RateClock::time_point now) {
  if (!bucket_.take(now)) {
    ++held_back_;
    return std::nullopt;
  }
  return std::exchange(held_back_, 0);
}

uint64_t LogBudget::summary(RateClock::time_point now) {
  if (held_back_ == 0 || !bucket_.take(now)) return 0;
  return std::exchange(held_back_, 0);
}

std::string with_held_back(std::string line, uint64_t held_back) {
  if (held_back) line += " (" + std::to_string(held_back) + " similar lines not logged)";
  return line;
}

}  // namespace quorum
