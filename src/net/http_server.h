// HTTP/1.1 server: one coroutine per connection, keep-alive, bounded request bodies, streaming responses.
//
// Threading: the server runs on the executor it is given (one io_context, one thread); run one HttpServer per
// thread with `reuse_port` to use several cores. A handler runs on that executor; it may co_await freely.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "net/http_types.h"

namespace quorum::net {

// Where a request came in, which decides the trust it starts with (auth/authenticator.h says what each may
// do): from this machine (a loopback address), or from the network. Later: through the relay.
enum class Arrival { kLoopback, kNetwork };

struct HttpRequest {
  std::string method;  // upper case, e.g. "POST"
  std::string target;  // path and query as sent, still percent-encoded
  Headers headers;
  std::string body;
  std::string remote_address;
  Arrival arrival = Arrival::kNetwork;
};

// The response side of one request. Exactly one of send() or begin_stream()…end_stream() is used.
// Every call returns false once the client is gone; the handler should then stop promptly.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // A complete response with Content-Length.
  virtual Task<bool> send(int status, const Headers& headers, std::string body) = 0;
  // Starts a chunked response. The head goes out with the first write() or end_stream(), in the same
  // segment; a write failure is reported there.
  virtual Task<bool> begin_stream(int status, const Headers& headers) = 0;
  // Writes one chunk and flushes it.
  virtual Task<bool> write(std::string_view data) = 0;
  // Writes `last_data` (if any) as a chunk and then the final chunk, together; the response is complete.
  virtual Task<bool> end_stream(std::string_view last_data = {}) = 0;
  // Completes when the client closes or resets its connection (or when cancelled through the awaiting
  // coroutine's cancellation slot). While a handler runs nothing else reads from the connection.
  virtual Task<void> wait_client_gone() = 0;
  // True once a write failed or wait_client_gone() observed the client leaving.
  virtual bool client_gone() const = 0;
};

using Handler = std::function<Task<void>(HttpRequest&, ResponseWriter&)>;

struct ServerLimits {
  size_t max_body_bytes = size_t{8} << 20;  // larger bodies get 413
  size_t max_header_bytes = size_t{64} << 10;
  int header_timeout_seconds = 30;  // time to receive a complete request head
  int body_timeout_seconds = 120;   // time to receive the rest of the body
  int idle_keepalive_seconds = 75;  // idle keep-alive connections are closed after this
};

class HttpServer {
 public:
  // Binds and listens at once; throws std::system_error when the address cannot be bound.
  HttpServer(const asio::any_io_executor& executor, const std::string& host, unsigned short port,
             Handler handler, ServerLimits limits = {}, bool reuse_port = false);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  unsigned short port() const;
  // Starts accepting. Returns immediately.
  void start();
  // Stops accepting and closes idle connections; responses in progress finish unless `abort` is set. Then
  // `on_drained` (if given) is posted to the server's executor, once, when the last connection has closed
  // (at once when none is open). Call on the server's executor.
  void stop(bool abort = false, std::function<void()> on_drained = {});
  // Connections being served now; safe to call from any thread.
  size_t open_connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace quorum::net
