// Writing to a connection without waiting: what the server's streams and the client's requests use before
// (and instead of) an asynchronous write, whose completion is a trip through the scheduler.
//
// Contract:
//  - send_now makes one non-blocking gathered send (sendmsg, MSG_DONTWAIT | MSG_NOSIGNAL) of `buffers`
//    (empty ones skipped; at most 8 non-empty): the bytes the connection took (0 when it had no room), or -1
//    when it failed, with errno as the send left it.
//  - rest_of copies the bytes of `buffers` from `skip` on; skip_bytes views them without a copy.
#pragma once

#include <sys/types.h>

#include <boost/asio/buffer.hpp>
#include <span>
#include <string>

namespace quorum::net {

ssize_t send_now(int fd, std::span<const boost::asio::const_buffer> buffers);

std::string rest_of(std::span<const boost::asio::const_buffer> buffers, size_t skip);

// `buffers` advanced past their first `skip` bytes, in place.
void skip_bytes(std::span<boost::asio::const_buffer> buffers, size_t skip);

}  // namespace quorum::net
