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
#pragma once

#include <boost/asio/execution_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

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

  std::unordered_map<std::string, std::deque<Idle>> idle_;
  std::optional<boost::asio::steady_timer> sweep_;
  bool sweep_armed_ = false;
};

}  // namespace quorum::net
