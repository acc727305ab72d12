// Idle keep-alive connections to upstream servers (engines, peers), kept for reuse by the next request to the
// same host and port. Saves a connect (and the server's accept) per request.
//
// One pool per io_context, as an Asio service: a socket never moves to another thread's context, and every
// idle socket is closed when its context shuts down.
//
// Contract:
//  - give_back() takes only connections whose last response was read to its end with keep-alive allowed; the
//    caller decides that. At most kMaxIdlePerKey are kept per key; the oldest go first.
//  - take() returns the most recently returned connection for `key` that has been idle less than kIdleTtl and
//    shows no sign of having been closed by the server (no EOF or stray bytes pending), or nothing.
//  - kIdleTtl is short on purpose: some engines (llama.cpp's llama-server, via cpp-httplib) hold a worker
//    thread for each open connection, so an idle one must not linger and starve their other clients. Under
//    load, connections are reused within milliseconds anyway. A sweep closes expired ones even when no
//    request comes to take them.
//  - Connections whose setup includes a TLS handshake are set up at most kMaxSetupsPerKey at a time per key:
//    admit_setup() gives a SetupSlot (held until the connection is set up or failed), or, beyond the limit,
//    waits within `limit` for whichever comes first: a slot passed on by a setup that ended, or a connection
//    of that key given back (which give_back() then hands over instead of keeping it idle). A burst of a
//    thousand requests to one peer would otherwise start a thousand handshakes on a saturated core, all of
//    them slow, and all time out together. Waiters are served in order of arrival.
#pragma once

#include <boost/asio/execution_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/cancel.h"
#include "net/http_types.h"

namespace quorum::net {

class ConnectionPool final : public boost::asio::execution_context::service {
 public:
  using Clock = std::chrono::steady_clock;
  using Socket = boost::asio::ip::tcp::socket;
  static constexpr std::chrono::milliseconds kIdleTtl{1000};
  static constexpr size_t kMaxIdlePerKey = 256;

  static inline boost::asio::execution_context::id id;

  explicit ConnectionPool(boost::asio::execution_context& context) : service(context) {}

  // The pool of the context that runs `executor`.
  template <class Executor>
  static ConnectionPool& of(const Executor& executor) {
    return boost::asio::use_service<ConnectionPool>(
        boost::asio::query(executor, boost::asio::execution::context));
  }

  std::optional<Socket> take(const std::string& key);
  void give_back(const std::string& key, Socket socket);

  static constexpr size_t kMaxSetupsPerKey = 16;

  // A setup under way for `key`: passed on to the next waiter, or given back, when it goes.
  class SetupSlot {
   public:
    SetupSlot(ConnectionPool& pool, std::string key) : pool_(&pool), key_(std::move(key)) {}
    SetupSlot(SetupSlot&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), key_(std::move(other.key_)) {}
    SetupSlot& operator=(SetupSlot&&) = delete;
    SetupSlot(const SetupSlot&) = delete;
    ~SetupSlot() {
      if (!pool_) return;
      try {
        pool_->end_setup(key_);
      } catch (...) {
        // (Waking the next waiter failed: it still wakes at its own limit.)
      }
    }

   private:
    ConnectionPool* pool_;
    std::string key_;
  };
  // What admit_setup() gave: a slot, a connection given back meanwhile, or neither (`limit` passed, or the
  // canceller fired).
  struct SetupAdmission {
    std::optional<SetupSlot> slot;
    std::optional<Socket> socket;
  };
  Task<SetupAdmission> admit_setup(const std::string& key, std::chrono::milliseconds limit,
                                   const CancellerPtr& canceller);
  // Setups under way and requests waiting to set one up, for `key`.
  size_t setups_in_flight(const std::string& key) const;
  size_t setups_waiting(const std::string& key) const;

 private:
  struct Idle {
    Socket socket;
    Clock::time_point since;
  };
  void shutdown() override;
  static bool looks_open(Socket& socket);
  // Drops the oldest connections of `list` until at most `keep_at_most` remain and none has expired.
  static void trim(std::deque<Idle>& list, Clock::time_point now, size_t keep_at_most);
  void drop_expired(Clock::time_point now);
  void schedule_sweep(const Socket::executor_type& executor);

  // A request waiting to set up a connection: woken (its timer cancelled) with a slot or a connection.
  struct SetupWaiter {
    explicit SetupWaiter(const boost::asio::any_io_executor& executor)
        : wake(executor, boost::asio::steady_timer::time_point::max()) {}
    boost::asio::steady_timer wake;
    bool slot = false;
    std::optional<Socket> socket;
  };
  struct Setups {
    size_t in_flight = 0;
    std::deque<std::shared_ptr<SetupWaiter>> waiters;
  };
  void end_setup(const std::string& key);
  // Hands `socket` to the first waiter for `key`, if any; false (the socket untouched) otherwise.
  bool hand_to_waiter(const std::string& key, Socket& socket);

  std::unordered_map<std::string, std::deque<Idle>> idle_;
  std::unordered_map<std::string, Setups> setups_;
  bool shut_down_ = false;
  std::optional<boost::asio::steady_timer> sweep_;
  bool sweep_armed_ = false;
};

}  // namespace quorum::net
