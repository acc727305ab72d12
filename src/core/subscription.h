// Subscription: a move-only handle to "keep telling me" (a watch on a peer, a subscription to registry
// changes). Destroying it, or calling reset(), ends the subscription: the release action runs once, on the
// thread that does it. A default-constructed Subscription holds nothing.
//
// The release action must stay safe to run after the thing subscribed to is gone (hold it by weak_ptr): a
// subscription held by a stream can outlive its source at shutdown.
#pragma once

#include <functional>
#include <utility>

namespace quorum {

class Subscription {
 public:
  Subscription() = default;
  explicit Subscription(std::function<void()> release) : release_(std::move(release)) {}
  Subscription(Subscription&& other) noexcept : release_(std::exchange(other.release_, nullptr)) {}
  Subscription& operator=(Subscription&& other) noexcept {
    if (this != &other) {
      reset();
      release_ = std::exchange(other.release_, nullptr);
    }
    return *this;
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription() { reset(); }

  void reset() {
    if (release_) std::exchange(release_, nullptr)();
  }
  bool active() const { return static_cast<bool>(release_); }

 private:
  std::function<void()> release_;
};

}  // namespace quorum
