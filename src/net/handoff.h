// A bounded queue from one producer coroutine to one consumer coroutine on the same single-threaded executor.
//
// Why not a channel raced against a timer: when `receive || timer` both complete in the same turn, the
// operator keeps one result and drops the other, and a dropped receive is a lost message (an error event, an
// end of stream). Here waiting and data are apart: a wait only says "look again", so a wait that times out or
// is cancelled leaves every item where it was.
//
// Contract:
//  - push() appends, wakes the consumer, then waits while more than `capacity` items are queued. It returns
//    false once the consumer has closed the queue (the producer should stop and release what it holds).
//  - wait_until() returns when an item is queued, the queue is closed, `deadline` passes, or the awaiting
//    coroutine is cancelled; it never consumes anything. Callers look at empty()/pop() afterwards.
//  - close() (consumer side) makes every later push() return false and wakes a waiting producer.
// Both sides must run on the same executor, which must not run handlers concurrently.
#pragma once

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <deque>
#include <optional>

#include "net/http_types.h"

namespace quorum::net {

template <class T>
class Handoff {
 public:
  using Clock = std::chrono::steady_clock;

  Handoff(const asio::any_io_executor& executor, size_t capacity)
      : consumer_wake_(executor), producer_wake_(executor), capacity_(capacity) {}

  Task<bool> push(T item) {
    if (closed_) co_return false;
    items_.push_back(std::move(item));
    consumer_wake_.cancel();
    while (items_.size() > capacity_ && !closed_) {
      producer_wake_.expires_at(Clock::time_point::max());
      boost::system::error_code ec;
      co_await producer_wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return !closed_;
  }

  Task<void> wait_until(Clock::time_point deadline) {
    if (!items_.empty() || closed_) co_return;
    consumer_wake_.expires_at(deadline);
    boost::system::error_code ec;
    co_await consumer_wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  bool empty() const { return items_.empty(); }

  std::optional<T> pop() {
    if (items_.empty()) return std::nullopt;
    std::optional<T> item(std::move(items_.front()));
    items_.pop_front();
    if (items_.size() <= capacity_) producer_wake_.cancel();
    return item;
  }

  void close() {
    closed_ = true;
    items_.clear();
    producer_wake_.cancel();
    consumer_wake_.cancel();
  }

  bool closed() const { return closed_; }

 private:
  asio::steady_timer consumer_wake_;
  asio::steady_timer producer_wake_;
  std::deque<T> items_;
  size_t capacity_;
  bool closed_ = false;
};

}  // namespace quorum::net
