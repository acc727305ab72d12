#include "net/connection_pool.h"

#include <sys/socket.h>

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

void ConnectionPool::shutdown() {
  idle_.clear();
  sweep_.reset();
}

}  // namespace quorum::net
