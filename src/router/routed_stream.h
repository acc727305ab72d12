// RoutedStream: the event stream Router::generate returns. Behind next() it runs the tries of a TryPlan:
// a holder that fails before its first event is dropped (its engine call cancelled) and the next one started;
// after the first event nothing is retried (two generations spliced together are garbage), and a failure goes
// to the client as the StreamError it is. When every holder failed, next() yields one StreamError with the
// plan's final error, then the end. Use it on one executor, like any EventStream.
#pragma once

#include <memory>
#include <optional>

#include "router/plan.h"
#include "router/try_scope.h"

namespace quorum::router {

class Router;

class RoutedStream final : public engines::EventStream {
 public:
  RoutedStream(Router& router, TryPlan plan, std::shared_ptr<const wire::GenerationRequest> request,
               engines::CallContext context);
  ~RoutedStream() override;

  Task<std::optional<wire::StreamEvent>> next() override;
  bool buffered() const override { return stream_ && !done_ && stream_->buffered(); }
  // Once an event was forwarded (no holder is tried after that), the try's own stream answers, and wait()
  // is its wait(): the per-token path has no frame of RoutedStream's. Before, next() does it all.
  bool poll(std::optional<wire::StreamEvent>& event) override;
  bool waits() const override { return !done_ && forwarded_ && stream_ && stream_->waits(); }
  Task<void> wait() override { return stream_->wait(); }
  // Cancels the try under way and every later one.
  void cancel() override;
  // After the end: lets the serving adapter read the rest of its engine's response (connection reuse).
  Task<void> finish() override;

  // Who serves (or was tried last); empty before the first try started. Responses, logs and metrics name it.
  const Served& served() const { return served_; }
  // The request it serves (as the client sent it).
  const wire::GenerationRequest& request() const { return *request_; }

 private:
  // Starts the next holder of the plan; false (and `final_` set) when none is left.
  Task<bool> start_next();
  void end_try();
  // What next() does with an event of the try under way once one was forwarded: the end ends the try, and
  // the error of a peer that was lost names the loss.
  void settle(std::optional<wire::StreamEvent>& event);

  Router& router_;
  TryPlan plan_;
  std::shared_ptr<const wire::GenerationRequest> request_;
  engines::CallContext context_;
  Served served_;
  std::optional<TryScope> try_;
  std::unique_ptr<engines::EventStream> stream_;  // of the try under way (kept after the end for finish())
  bool serving_ = false;                          // on_serving(+1) was reported for the try under way
  bool forwarded_ = false;                        // an event of this stream has reached the caller
  bool done_ = false;
  ApiError final_;
};

}  // namespace quorum::router
