// Rate limits for work that strangers can trigger (mDNS announcements and queries, heartbeats to addresses
// nobody has verified yet, log lines about them). Pure: every call takes the time, so tests use a fake clock.
// Not thread-safe: each limit belongs to one owner, which locks if it must.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace quorum {

using RateClock = std::chrono::steady_clock;

// A token bucket: `per_second` tokens are added each second, up to `burst`; it starts full. `burst` is at
// least 1 (a bucket that can never hold a whole token would never allow anything).
class TokenBucket {
 public:
  TokenBucket(double per_second, double burst);

  // Takes one token when there is one: true when the work may be done now.
  bool take(RateClock::time_point now);
  // When take() will succeed next: `now` when it would now. The time only moves forward: a `now` earlier than
  // the last call counts as that call's time.
  RateClock::time_point next_token(RateClock::time_point now) const;

 private:
  void refill(RateClock::time_point now);

  double per_second_;
  double burst_;
  double tokens_;
  std::optional<RateClock::time_point> last_;  // when tokens_ was computed; nullopt: never (full)
};

// Log lines about what strangers do (an unknown node heard, a lead that never answers): at most `burst` at
// once and `per_second` on average. The lines held back are counted and told in the next line written, or in
// a summary line, so the log says that something was left out and how much.
class LogBudget {
 public:
  LogBudget(double per_second, double burst);

  // nullopt: hold this line back (it is counted). Otherwise write it now; the value is how many lines were
  // held back since the last one written (see with_held_back()).
  std::optional<uint64_t> admit(RateClock::time_point now);
  // How many lines are held back and not told of yet, when a summary line may be written now (it takes a
  // token, and the count starts again from zero); 0 when there are none or no summary may be written yet.
  uint64_t summary(RateClock::time_point now);

 private:
  TokenBucket bucket_;
  uint64_t held_back_ = 0;
};

// `line`, plus " (N similar lines not logged)" when `held_back` is not zero.
std::string with_held_back(std::string line, uint64_t held_back);

}  // namespace quorum
