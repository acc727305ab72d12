#include "engines/llamacpp/event_sink.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace quorum::engines::llamacpp {

namespace asio = boost::asio;

EventSink::EventSink(const asio::any_io_executor& executor) : executor_(executor), wake_(executor) {}

void EventSink::wake_locked() {
  if (!waiting_ || wake_posted_) return;
  wake_posted_ = true;
  asio::post(executor_, [self = shared_from_this()] {
    {
      std::lock_guard lock(self->mutex_);
      self->wake_posted_ = false;
    }
    self->wake_.cancel();
  });
}

void EventSink::push(wire::StreamEvent event) {
  std::lock_guard lock(mutex_);
  if (ended_) return;
  events_.push_back(std::move(event));
  wake_locked();
}

void EventSink::end() {
  std::lock_guard lock(mutex_);
  ended_ = true;
  wake_locked();
}

net::Task<std::optional<wire::StreamEvent>> EventSink::next() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      waiting_ = false;
      if (!events_.empty()) {
        std::optional<wire::StreamEvent> event(std::move(events_.front()));
        events_.pop_front();
        co_return event;
      }
      if (ended_) co_return std::nullopt;
      waiting_ = true;
    }
    // A wake-up posted after the unlock runs after this wait has started (we are on the executor), so it
    // cannot be missed.
    wake_.expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec != asio::error::operation_aborted)
      co_return std::nullopt;  // cannot happen with an infinite expiry
    auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) co_return std::nullopt;
  }
}

}  // namespace quorum::engines::llamacpp
