// Streaming HTTP/1.1 client for engines and peers: the response head is returned as soon as it arrives, the
// body is read piece by piece as the server flushes it. Plain http:// only (engines and LAN peers).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/cancel.h"
#include "core/result.h"
#include "net/http_types.h"

namespace quorum::net {

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // Limit on time to the response head (engines may take long to load a model: keep it generous).
  std::chrono::milliseconds head_timeout{600000};
  // Limit on any silence while reading the body.
  std::chrono::milliseconds read_idle_timeout{600000};
  // When set, cancel() on it aborts the request at any point (connect, head, body) with a 499-like error.
  CancellerPtr canceller;
};

// One in-flight request. Destroying it, or cancel(), closes the connection, which engines treat as the client
// leaving (they stop generating). Not thread-safe: use it on the executor that created it.
class ClientResponse {
 public:
  virtual ~ClientResponse() = default;
  virtual int status() const = 0;
  virtual const Headers& headers() const = 0;
  // The next piece of the (de-chunked) body; an empty string at the end of the body. Errors: a connection
  // that breaks or times out yields an ApiError (502 or 504).
  virtual Task<Result<std::string>> read_some() = 0;
  // The rest of the body, at most `limit` bytes (more is an error).
  virtual Task<Result<std::string>> read_all(size_t limit = 64 * 1024 * 1024) = 0;
  virtual void cancel() = 0;
};

// Sends a request to `url` (http://host:port/path). Fails with 502 when the server cannot be reached
// (message names the URL), 504 on timeout.
Task<Result<std::unique_ptr<ClientResponse>>> http_request(std::string method, std::string url, Headers headers,
                                                           std::string body, ClientOptions options = {});

}  // namespace quorum::net
