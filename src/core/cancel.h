// A cancellation handle shared between the side that wants to stop work (the client went away) and the side
// doing it (an upstream connection). Single-threaded: use it on one executor.
#pragma once

#include <functional>
#include <memory>
#include <utility>

namespace quorum {

class Canceller {
 public:
  // Runs the registered action (once) and remembers that cancellation was asked for.
  void cancel() {
    if (cancelled_) return;
    cancelled_ = true;
    if (action_) std::exchange(action_, nullptr)();
  }
  bool cancelled() const { return cancelled_; }
  // Registers what cancel() does (e.g. close a socket); runs it at once if already cancelled. Replaces any
  // earlier action. Pass nullptr to clear.
  void on_cancel(std::function<void()> action) {
    action_ = std::move(action);
    if (cancelled_ && action_) std::exchange(action_, nullptr)();
  }

 private:
  bool cancelled_ = false;
  std::function<void()> action_;
};

using CancellerPtr = std::shared_ptr<Canceller>;

}  // namespace quorum
