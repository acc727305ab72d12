#include "relay/key_limits.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <utility>

namespace quorum::relay {

namespace {

constexpr int64_t kWindow = 60;      // seconds in the rolling minute
constexpr int64_t kSweepEvery = 10;  // seconds between two looks for idle keys

size_t slot_index(int64_t second) {
  return static_cast<size_t>(((second % kWindow) + kWindow) % kWindow);
}

uint64_t saturating_add(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max() : a + b;
}

}  // namespace

std::string_view limit_name(Limit limit) {
  switch (limit) {
    case Limit::rpm:
      return "rpm";
    case Limit::tpm:
      return "tpm";
    case Limit::max_parallel:
      return "max_parallel";
  }
  return "unknown";
}

KeyAdmission::Ticket::Ticket(Ticket&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), entry_(std::exchange(other.entry_, nullptr)) {}

KeyAdmission::Ticket& KeyAdmission::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    if (owner_) owner_->abandon(entry_);
    owner_ = std::exchange(other.owner_, nullptr);
    entry_ = std::exchange(other.entry_, nullptr);
  }
  return *this;
}

KeyAdmission::Ticket::~Ticket() {
  if (owner_) owner_->abandon(entry_);
}

void KeyAdmission::Ticket::finish(uint64_t tokens, RateClock::time_point now) {
  if (owner_) std::exchange(owner_, nullptr)->finish(entry_, tokens, now);
}

void KeyAdmission::abandon(Entry* entry) {
  std::lock_guard lock(mutex_);
  if (entry->running) --entry->running;
}

void KeyAdmission::finish(Entry* entry, uint64_t tokens, RateClock::time_point now) {
  std::lock_guard lock(mutex_);
  const int64_t second = second_of(now);
  if (entry->running) --entry->running;
  add_tokens(*entry, tokens, second);
}

void KeyAdmission::charge(std::string_view key_id, uint64_t tokens, RateClock::time_point now) {
  if (tokens == 0) return;
  std::lock_guard lock(mutex_);
  const int64_t second = second_of(now);
  drop_idle(second);
  add_tokens(entries_.try_emplace(std::string(key_id)).first->second, tokens, second);
}

// REQUIRES: mutex_ held.
void KeyAdmission::add_tokens(Entry& entry, uint64_t tokens, int64_t second) {
  if (tokens == 0) return;
  Slot& slot = entry.slots[slot_index(second)];
  if (slot.second != second) slot = Slot{second, 0, 0};
  slot.tokens = saturating_add(slot.tokens, tokens);
  entry.last_second = std::max(entry.last_second, second);
}

// REQUIRES: mutex_ held.
int64_t KeyAdmission::second_of(RateClock::time_point now) {
  if (now < latest_) now = latest_;
  latest_ = now;
  return std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
}

// REQUIRES: mutex_ held.
void KeyAdmission::drop_idle(int64_t second) {
  if (second < next_sweep_) return;
  next_sweep_ = second + kSweepEvery;
  std::erase_if(entries_, [&](const auto& item) {
    return item.second.running == 0 && item.second.last_second <= second - kWindow;
  });
}

KeyAdmission::Verdict KeyAdmission::admit(std::string_view key_id, const KeyLimits& limits,
                                          RateClock::time_point now) {
  std::lock_guard lock(mutex_);
  const int64_t second = second_of(now);
  now = latest_;
  drop_idle(second);
  Entry& entry = entries_.try_emplace(std::string(key_id)).first->second;

  // The slots of the minute, oldest first, and what they hold.
  uint64_t requests = 0;
  uint64_t tokens = 0;
  for (int64_t s = second - kWindow + 1; s <= second; ++s) {
    const Slot& slot = entry.slots[slot_index(s)];
    if (slot.second != s) continue;
    requests = saturating_add(requests, slot.requests);
    tokens = saturating_add(tokens, slot.tokens);
  }
  // Seconds until the minute holds less than `limit` of what `count` reads, after the oldest slots leave it.
  auto wait_until_below = [&](uint64_t held, uint64_t limit, auto count) -> int64_t {
    const uint64_t to_leave = held - limit + 1;
    uint64_t left = 0;
    for (int64_t s = second - kWindow + 1; s <= second; ++s) {
      const Slot& slot = entry.slots[slot_index(s)];
      if (slot.second != s) continue;
      left = saturating_add(left, count(slot));
      if (left >= to_leave) {
        const auto frees = std::chrono::seconds(s + kWindow) - now.time_since_epoch();
        return std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(frees).count());
      }
    }
    return kWindow;  // not reached: the whole minute leaves within kWindow seconds
  };

  std::optional<Refusal> refusal;
  auto refuse = [&](Limit limit, int64_t retry_after) {
    if (!refusal || retry_after > refusal->retry_after) refusal = Refusal{limit, retry_after};
  };
  if (limits.rpm && requests >= limits.rpm) {
    refuse(Limit::rpm, wait_until_below(requests, limits.rpm, [](const Slot& s) { return s.requests; }));
  }
  if (limits.tpm && tokens >= limits.tpm) {
    refuse(Limit::tpm, wait_until_below(tokens, limits.tpm, [](const Slot& s) { return s.tokens; }));
  }
  if (limits.max_parallel && entry.running >= limits.max_parallel) refuse(Limit::max_parallel, 1);
  if (refusal) return *refusal;

  Slot& slot = entry.slots[slot_index(second)];
  if (slot.second != second) slot = Slot{second, 0, 0};
  slot.requests = saturating_add(slot.requests, 1);
  entry.running += 1;
  entry.last_second = second;
  return Ticket(this, &entry);
}

size_t KeyAdmission::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace quorum::relay
