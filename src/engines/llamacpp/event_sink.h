// EventSink: carries generation events from an engine thread (the model's decode loop) to the coroutine that
// streams them, which runs on an Asio executor.
//
// Contract:
//  - push() and end() may be called from any thread; they never block on the consumer (the decode loop must
//    not stall because one client reads slowly: events are small and a generation is bounded by max_tokens).
//  - next() runs on `executor` only, returns events in push order, then nullopt once end() was called and
//    everything before it was taken.
//  - A wake-up is posted to the executor only when the consumer is actually waiting, at most one at a time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "net/http_types.h"
#include "wire/events.h"

namespace quorum::engines::llamacpp {

class EventSink : public std::enable_shared_from_this<EventSink> {
 public:
  explicit EventSink(const boost::asio::any_io_executor& executor);

  void push(wire::StreamEvent event);
  void end();

  net::Task<std::optional<wire::StreamEvent>> next();

 private:
  void wake_locked();

  boost::asio::any_io_executor executor_;
  boost::asio::steady_timer wake_;  // touched on the executor only
  std::mutex mutex_;
  std::deque<wire::StreamEvent> events_;
  bool ended_ = false;
  bool waiting_ = false;
  bool wake_posted_ = false;
};

}  // namespace quorum::engines::llamacpp
