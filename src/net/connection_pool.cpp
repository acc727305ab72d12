#include "net/connection_pool.h"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace quorum::net {

bool ConnectionPool::looks_open(Socket& socket) {
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  // Nothing to read is the only healthy state for an idle HTTP/1.1 connection: 0 is the server's close,
  // bytes are a response nobody asked for, and an error is an error.
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::optional<ConnectionPool::Socket> ConnectionPool::take(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return std::nullopt;
  auto& list = it->second;
  auto now = Clock::now();
  std::optional<Socket> found;
  while (!list.empty() && !found) {
    Idle idle = std::move(list.back());
    list.pop_back();
    if (now - idle.since < kIdleTtl && looks_open(idle.socket)) found.emplace(std::move(idle.socket));
    // Otherwise the socket closes as `idle` goes out of scope.
  }
  // Whatever is older than the one taken is older still: drop what has expired.
  trim(list, now, kMaxIdlePerKey);
  if (list.empty()) idle_.erase(it);
  return found;
}

void ConnectionPool::trim(std::deque<Idle>& list, Clock::time_point now, size_t keep_at_most) {
  while (!list.empty() && (list.size() > keep_at_most || now - list.front().since >= kIdleTtl))
    list.pop_front();
}

void ConnectionPool::give_back(const std::string& key, Socket socket) {
  if (hand_to_waiter(key, socket)) return;
  auto& list = idle_[key];
  auto now = Clock::now();
  trim(list, now, kMaxIdlePerKey - 1);  // room for this one
  auto executor = socket.get_executor();
  list.push_back(Idle{std::move(socket), now});
  schedule_sweep(executor);
}

void ConnectionPool::drop_expired(Clock::time_point now) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    trim(it->second, now, kMaxIdlePerKey);
    it = it->second.empty() ? idle_.erase(it) : std::next(it);
  }
}

void ConnectionPool::schedule_sweep(const Socket::executor_type& executor) {
  if (sweep_armed_) return;
  if (!sweep_) sweep_.emplace(executor);
  sweep_armed_ = true;
  sweep_->expires_after(kIdleTtl);
  sweep_->async_wait([this, executor](const boost::system::error_code& ec) {
    sweep_armed_ = false;
    if (ec) return;
    drop_expired(Clock::now());
    if (!idle_.empty()) schedule_sweep(executor);
  });
}

bool ConnectionPool::hand_to_waiter(const std::string& key, Socket& socket) {
  if (setups_.empty() || shut_down_) return false;
  auto it = setups_.find(key);
  if (it == setups_.end() || it->second.waiters.empty()) return false;
  auto waiter = std::move(it->second.waiters.front());
  it->second.waiters.pop_front();  // handed one thing only: it is no longer waiting
  waiter->socket.emplace(std::move(socket));
  waiter->wake.cancel();
  return true;
}

void ConnectionPool::end_setup(const std::string& key) {
  if (shut_down_) return;
  auto it = setups_.find(key);
  if (it == setups_.end()) return;
  auto& setups = it->second;
  if (!setups.waiters.empty()) {  // the slot passes on: as many under way as before
    auto waiter = std::move(setups.waiters.front());
    setups.waiters.pop_front();
    waiter->slot = true;
    waiter->wake.cancel();
    return;
  }
  if (setups.in_flight > 0) --setups.in_flight;
  if (setups.in_flight == 0) setups_.erase(it);
}

Task<ConnectionPool::SetupAdmission> ConnectionPool::admit_setup(const std::string& key,
                                                                 std::chrono::milliseconds limit,
                                                                 const CancellerPtr& canceller) {
  namespace asio = boost::asio;
  SetupAdmission admitted;
  auto& setups = setups_[key];
  if (setups.in_flight < kMaxSetupsPerKey) {
    ++setups.in_flight;
    admitted.slot.emplace(*this, key);
    co_return admitted;
  }
  auto executor = co_await asio::this_coro::executor;
  auto waiter = std::make_shared<SetupWaiter>(executor);
  setups.waiters.push_back(waiter);
  std::weak_ptr<SetupWaiter> weak = waiter;
  asio::steady_timer deadline(executor, limit);
  deadline.async_wait([weak](const boost::system::error_code& ec) {
    if (auto w = weak.lock(); w && !ec) w->wake.cancel();
  });
  if (canceller) {
    canceller->on_cancel([weak] {
      if (auto w = weak.lock()) w->wake.cancel();
    });
  }
  boost::system::error_code ec;
  co_await waiter->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  deadline.cancel();
  if (canceller) canceller->on_cancel(nullptr);
  if (waiter->slot) {
    admitted.slot.emplace(*this, key);  // passed on by end_setup(), which counted it
  } else if (waiter->socket) {
    admitted.socket = std::move(waiter->socket);
  } else if (!shut_down_) {
    // Neither came (the limit passed, or the request was cancelled): it waits no more.
    if (auto it = setups_.find(key); it != setups_.end()) {
      auto& waiters = it->second.waiters;
      waiters.erase(std::remove(waiters.begin(), waiters.end(), waiter), waiters.end());
    }
  }
  co_return admitted;
}

size_t ConnectionPool::setups_in_flight(const std::string& key) const {
  auto it = setups_.find(key);
  return it == setups_.end() ? 0 : it->second.in_flight;
}

size_t ConnectionPool::setups_waiting(const std::string& key) const {
  auto it = setups_.find(key);
  return it == setups_.end() ? 0 : it->second.waiters.size();
}

void ConnectionPool::shutdown() {
  shut_down_ = true;
  idle_.clear();
  setups_.clear();
  sweep_.reset();
}

}  // namespace quorum::net
