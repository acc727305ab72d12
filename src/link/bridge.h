// Joins a LinkStream to one end of a local socket pair, so that code written for sockets (the HTTP server and
// client, the peers' TLS) runs over a stream of the relay link unchanged.
//
// Contract: bytes written to the returned socket reach the other end of the stream in order; bytes from the
// stream are readable from it. Closing or shutting down the returned socket ends this side of the stream
// (after what was written is sent); the other side's end shuts the socket down for reading; a reset stream
// or a link that goes down closes the pair, so the socket's user sees the connection end. The returned
// socket is an AF_UNIX socket carried in a tcp::socket (Asio does not check the family), on
// `socket_executor`; the pumps run on the stream's session executor.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "core/result.h"
#include "link/link_stream.h"

namespace quorum::link {

Result<net::asio::ip::tcp::socket> bridge_to_socket(const std::shared_ptr<LinkStream>& stream,
                                                    const net::asio::any_io_executor& stream_executor,
                                                    const net::asio::any_io_executor& socket_executor);

}  // namespace quorum::link
