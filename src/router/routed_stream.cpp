#include "router/routed_stream.h"

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.h"
#include "core/stage_marks.h"
#include "router/router.h"

namespace quorum::router {

namespace asio = boost::asio;

RoutedStream::RoutedStream(Router& router, TryPlan plan,
                           std::shared_ptr<const wire::GenerationRequest> request,
                           engines::CallContext context)
    : router_(router), plan_(std::move(plan)), request_(std::move(request)), context_(std::move(context)) {}

RoutedStream::~RoutedStream() {
  end_try();
}

void RoutedStream::end_try() {
  if (serving_ && router_.options_.on_serving) router_.options_.on_serving(served_, request_->model, -1);
  serving_ = false;
  try_.reset();
}

void RoutedStream::cancel() {
  context_.canceller->cancel();
  if (stream_) stream_->cancel();
}

Task<bool> RoutedStream::start_next() {
  auto executor = co_await asio::this_coro::executor;
  const auto reachable = router_.reachability();
  while (const Route* route = plan_.next(reachable)) {
    if (context_.canceller->cancelled()) break;
    served_ = Served::by(*route);
    try_.emplace(router_, *route, context_.canceller, executor);
    // The request goes as it is to a holder that knows the model by the client's name (every holder today:
    // the registry and the peers match names exactly). A holder that named it otherwise would get a copy
    // with its own name, living only in this (short) frame: a long conversation is not copied per try.
    std::optional<wire::GenerationRequest> renamed;
    if (route->model != request_->model) {
      renamed.emplace(*request_);
      renamed->model = route->model;
    }
    const wire::GenerationRequest& upstream = renamed ? *renamed : *request_;
    // Named, not a temporary inside the co_await: g++ 12 mishandles such temporaries.
    const engines::CallContext try_context = try_->context(context_.request_id);
    stage::mark(stage::Stage::kTryStarted);
    auto started = co_await route->backend->generate(upstream, try_context);
    if (started) {
      stream_ = std::move(started.value());
      serving_ = true;
      if (router_.options_.on_serving) router_.options_.on_serving(served_, request_->model, +1);
      co_return true;
    }
    ApiError error = try_->peer_lost() ? try_->lost_error() : started.take_error();
    end_try();
    if (!plan_.failed(error)) {
      final_ = std::move(error);
      co_return false;
    }
    log::warn(route->label() + " failed before the first token: " + error.message);
  }
  final_ = plan_.final_error();
  co_return false;
}

Task<std::optional<wire::StreamEvent>> RoutedStream::next() {
  for (;;) {
    if (done_) co_return std::nullopt;
    if (!stream_ && !co_await start_next()) {
      done_ = true;
      co_return wire::StreamEvent{wire::StreamError{std::move(final_)}};
    }
    auto event = co_await stream_->next();
    settle(event);
    if (!event) co_return std::nullopt;
    auto* failure = std::get_if<wire::StreamError>(&*event);
    if (failure && !forwarded_ && !context_.canceller->cancelled()) {
      // Failed before producing anything: another holder may do better.
      ApiError error = failure->error;
      const std::string label = try_ ? try_->route().label() : std::string("the engine");
      stream_.reset();  // cancels what is left of it on its engine
      end_try();
      if (plan_.failed(error)) {
        log::warn(label + " failed before the first token: " + error.message);
        continue;
      }
      done_ = true;
      co_return event;
    }
    forwarded_ = true;
    co_return event;
  }
}

void RoutedStream::settle(std::optional<wire::StreamEvent>& event) {
  if (!event) {
    end_try();
    done_ = true;
    return;
  }
  auto* failure = std::get_if<wire::StreamError>(&*event);
  if (failure && try_ && try_->peer_lost()) failure->error = try_->lost_error();
}

bool RoutedStream::poll(std::optional<wire::StreamEvent>& event) {
  if (done_) {
    event.reset();
    return true;
  }
  if (!forwarded_ || !stream_ || !stream_->poll(event)) return false;
  settle(event);
  return true;
}

Task<void> RoutedStream::finish() {
  if (stream_) co_await stream_->finish();
}

}  // namespace quorum::router
