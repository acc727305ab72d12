#include "net/send_now.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace quorum::net {

ssize_t send_now(int fd, std::span<const boost::asio::const_buffer> buffers) {
  std::array<iovec, 8> iov{};
  size_t count = 0;
  for (const auto& b : buffers) {
    if (b.size() == 0) continue;
    if (count == iov.size()) break;
    iov[count].iov_base = const_cast<void*>(b.data());
    iov[count].iov_len = b.size();
    ++count;
  }
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = count;
  for (;;) {
    const ssize_t n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -1;
  }
}

std::string rest_of(std::span<const boost::asio::const_buffer> buffers, size_t skip) {
  std::string rest;
  for (const auto& b : buffers) {
    if (skip >= b.size()) {
      skip -= b.size();
      continue;
    }
    rest.append(static_cast<const char*>(b.data()) + skip, b.size() - skip);
    skip = 0;
  }
  return rest;
}

void skip_bytes(std::span<boost::asio::const_buffer> buffers, size_t skip) {
  for (auto& b : buffers) {
    const size_t n = std::min(skip, b.size());
    b += n;
    skip -= n;
  }
}

}  // namespace quorum::net
