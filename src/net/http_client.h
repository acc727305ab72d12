// Streaming HTTP/1.1 client for engines, peers and the relay: the response head is returned as soon as it
// arrives, the body is read piece by piece as the server flushes it. http:// and https:// URLs: an https://
// connection is a TLS session that checks the server's certificate (client_tls.h); to a cluster peer
// (http://), the connection is a TLS session with the cluster's key (peer_tls.h) when ClientOptions::tls is
// set.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/cancel.h"
#include "core/result.h"
#include "net/http_types.h"
#include "net/peer_tls.h"

namespace quorum::net {

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // Limit on time to the response head (engines may take long to load a model: keep it generous).
  std::chrono::milliseconds head_timeout{600000};
  // Limit on any silence while reading the body.
  std::chrono::milliseconds read_idle_timeout{600000};
  // When set, cancel() on it aborts the request at any point (connect, head, body) with a 499-like error.
  CancellerPtr canceller;
  // Set for a cluster peer: every connection is a TLS session with this key, set up within connect_timeout
  // (pooled apart from plain connections to the same address, and reused like them).
  std::shared_ptr<const PeerTls> tls;
  // https:// only: trust the certificates in this PEM file instead of the system's trust store.
  std::string ca_file;
  // Set: each new connection comes from this instead of a TCP connect to the URL's host and port (a stream
  // of the relay link, bridged to a local socket), within connect_timeout; the URL's host then only names
  // the pool its idle connections go back to. The socket must use the executor it is given.
  std::function<Task<Result<asio::ip::tcp::socket>>(asio::any_io_executor)> connector;
};

// One in-flight request. Destroying it before the response was read to its end, or cancel(), closes the
// connection, which engines treat as the client leaving (they stop generating). A response read to its end
// with keep-alive allowed leaves its connection for the next request to the same server (connection_pool.h).
// Not thread-safe: use it on the executor that created it.
class ClientResponse {
 public:
  virtual ~ClientResponse() = default;
  virtual int status() const = 0;
  virtual const Headers& headers() const = 0;
  // The next piece of the (de-chunked) body; an empty string at the end of the body. Errors: a connection
  // that breaks or times out yields an ApiError (502 or 504); body bytes read before the fault (good chunks
  // ahead of a malformed one) come first, the error with the next call.
  virtual Task<Result<std::string>> read_some() = 0;
  // Takes a body as read_into() reads it, where it was read.
  class BodySink {
   public:
    virtual ~BodySink() = default;
    // The next bytes of the (de-chunked) body, in order: a view valid during the call.
    virtual void on_body(std::string_view bytes) = 0;
    // The body is complete.
    virtual void on_end() = 0;
    // The body broke (502) or timed out (504), after whatever bytes on_body() had.
    virtual void on_error(ApiError error) = 0;
  };
  // read_some() for a caller that takes the bytes where they were read (no string per read, and a caller
  // that need not be a coroutine of its own to take them): waits for the next read unless bytes are there,
  // and hands what it took to `sink`: on_body() at least once, or on_end() or on_error(), or both after
  // on_body(). The sink must not suspend nor call into this response.
  virtual Task<void> read_into(BodySink& sink) = 0;
  // The rest of the body, at most `limit` bytes (more is an error).
  virtual Task<Result<std::string>> read_all(size_t limit = size_t{64} << 20) = 0;
  // Reads and discards the rest of the body, waiting at most `limit` for each piece, so that the connection
  // can serve another request (see connection_pool.h). Used when the caller has all it needs (an SSE
  // stream's [DONE]) but the server has yet to end the body.
  virtual Task<void> drain(std::chrono::milliseconds limit) = 0;
  virtual void cancel() = 0;
};

// Sends a request to `url` (http://host:port/path or https://…), on an idle kept-alive connection to that
// server when there is one. A reused connection that the server turns out to have closed is replaced by a new
// one and the request sent again (it had not been seen). Fails with 502 when the server cannot be reached or
// (https://) cannot be trusted (message names the URL and why), 504 on timeout (the TLS handshake is within
// connect_timeout), 500 when ca_file cannot be read.
Task<Result<std::unique_ptr<ClientResponse>>> http_request(std::string method, std::string url,
                                                           Headers headers, std::string body,
                                                           ClientOptions options = {});

}  // namespace quorum::net
