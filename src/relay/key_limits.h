// Per-key admission at the relay: whether a request made with an API key may start now, under the key's
// limits. Pure (every call takes the time; tests use a fake clock), no I/O.
//
//  - rpm: requests admitted in the rolling minute. A request counts from the moment it is admitted.
//  - tpm: tokens (prompt + completion) in the rolling minute, charged when a request finishes, at that
//    moment. A key whose minute holds tpm tokens or more is refused until enough of them leave the minute; a
//    request admitted with room left may take the minute past tpm (its size is unknown when it starts).
//  - max_parallel: requests admitted and not yet finished.
// 0 means unlimited, for each. The minute is kept in 60 one-second slots: a request or token counts in the
// second it happened and leaves the minute 60 seconds after that second began (so 59 to 60 seconds later).
// Retry-After is computed with the same slots, so it is exact: after `retry_after` seconds the limit that
// refused has room again, unless requests still running finish in the meantime and charge more tokens. For
// max_parallel the moment is not known (a running request must finish): 1 second.
//
// Memory: one entry per key used in the last minute or with requests running (60 slots); the others are
// dropped within 70 seconds of their last request or charge.
// Thread-safe (one mutex). A Ticket refers to its KeyAdmission, which must outlive it.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "core/rate_limit.h"

namespace quorum::relay {

// A key's rate limits; each 0 = unlimited.
struct KeyLimits {
  uint64_t rpm = 0;           // requests per rolling minute
  uint64_t tpm = 0;           // prompt + completion tokens per rolling minute
  uint64_t max_parallel = 0;  // requests running at once
  bool operator==(const KeyLimits&) const = default;
};

enum class Limit { rpm, tpm, max_parallel };
// "rpm", "tpm" or "max_parallel", for error messages and metrics.
std::string_view limit_name(Limit limit);

struct Refusal {
  Limit limit = Limit::rpm;  // the limit that frees last, when several refuse
  int64_t retry_after = 1;   // whole seconds, at least 1: what a 429's Retry-After header says
};

class KeyAdmission {
 private:
  struct Entry;

 public:
  // An admitted request. finish() it with the tokens it used; a ticket destroyed unfinished (a request that
  // failed or was cancelled before any usage was known) frees its parallel slot and charges nothing.
  // Move-only.
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();

    // Ends the request: its parallel slot is freed and `tokens` charged to the second of `now`. Calls after
    // the first do nothing.
    void finish(uint64_t tokens, RateClock::time_point now);

   private:
    friend class KeyAdmission;
    Ticket(KeyAdmission* owner, Entry* entry) : owner_(owner), entry_(entry) {}
    KeyAdmission* owner_ = nullptr;
    Entry* entry_ = nullptr;
  };

  using Verdict = std::variant<Ticket, Refusal>;

  KeyAdmission() = default;
  KeyAdmission(const KeyAdmission&) = delete;
  KeyAdmission& operator=(const KeyAdmission&) = delete;

  // A Ticket when a request with `key_id` may start at `now` under `limits` (the request then counts against
  // rpm and max_parallel), a Refusal otherwise (nothing is counted). The limits are the key's current ones,
  // passed on every call: a changed limit applies at once. Time only moves forward: a `now` earlier than a
  // previous call counts as that call's time.
  Verdict admit(std::string_view key_id, const KeyLimits& limits, RateClock::time_point now);

  // Charges `tokens` to `key_id` at `now`, for a request whose ticket was finished before its usage was
  // known (the node reports usage after its answer, which the relay has usually finished passing on by
  // then). Same rules as Ticket::finish for the tokens; no parallel slot is involved.
  void charge(std::string_view key_id, uint64_t tokens, RateClock::time_point now);

  // How many keys are remembered (for tests and metrics).
  size_t size() const;

 private:
  struct Slot {
    int64_t second = INT64_MIN;  // which second this slot holds (slot = second mod 60)
    uint64_t requests = 0;
    uint64_t tokens = 0;
  };
  struct Entry {
    std::array<Slot, 60> slots;
    uint64_t running = 0;
    int64_t last_second = INT64_MIN;  // the last second anything was counted
  };

  void abandon(Entry* entry);
  void finish(Entry* entry, uint64_t tokens, RateClock::time_point now);
  // REQUIRES (all three): mutex_ held.
  void add_tokens(Entry& entry, uint64_t tokens, int64_t second);
  int64_t second_of(RateClock::time_point now);  // the second of max(now, latest_), which it advances
  void drop_idle(int64_t second);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // references stay valid until erased (tickets hold them)
  RateClock::time_point latest_ = RateClock::time_point::min();
  int64_t next_sweep_ = INT64_MIN;
};

}  // namespace quorum::relay
