// HTTP/1.1 server: one coroutine per connection, keep-alive, pipelining, bounded request heads and bodies,
// streaming responses.
//
// A request goes through, in order: the connection's admission (Intake: a connection over its budget is
// closed at once, unread); with ServerOptions::certificate, the TLS handshake (every connection); with
// ServerOptions::tls, the TLS handshake when the connection begins with one;
// its head, read within the header timeout (faults answered as read_faults.h says); the Admit callback, which
// sees the head only and admits or refuses; then, only if admitted, `100 Continue` (when asked for) and the
// body, within the body timeout; then the handler. Every bound is in server_limits.h.
//
// Threading: the server runs on the executor it is given (one io_context, one thread); run one HttpServer per
// thread with `reuse_port` to use several cores. A handler runs on that executor; it may co_await freely.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "net/http_types.h"
#include "net/intake.h"
#include "net/peer_tls.h"
#include "net/server_certificate.h"
#include "net/server_limits.h"
#include "net/websocket.h"

namespace quorum::net {

// Where a request came in, which decides the trust it starts with (auth/authenticator.h says what each may
// do): in plain text from this machine (a loopback address) or from the network, or in a TLS session with
// the cluster's key (ServerOptions::tls; from any address, loopback included); or through the relay link
// (HttpServer::adopt): sent by the relay on behalf of a client whose API key it checked (kRelay), or a
// stream from another node of the cluster, which must be a TLS session with the cluster's key (kRelayPeer:
// it becomes kPeerTls once the handshake is done; anything else is closed unanswered).
enum class Arrival { kLoopback, kNetwork, kPeerTls, kRelay, kRelayPeer };

// A request as its head has it, before its body is read.
struct RequestHead {
  std::string method;  // upper case, e.g. "POST"
  std::string target;  // path and query as sent, still percent-encoded
  Headers headers;
  std::string remote_address;
  Arrival arrival = Arrival::kNetwork;
};

struct HttpRequest : RequestHead {
  std::string body;
};

// The response side of one request. Exactly one of send() or begin_stream()…end_stream() is used (but see
// begin_stream()). Every call returns false once the client is gone; the handler should then stop promptly.
// The server keeps the wire right whatever the handler sends: a HEAD request gets the head of the answer
// without its body, and an HTTP/1.0 client gets a stream as a body that ends when the connection closes
// (1.0 has no chunked encoding).
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // A complete response with Content-Length. Also after begin_stream(), as long as no byte of the stream has
  // gone out (a write, end_stream or a keep-alive): the stream is dropped and this is the response instead.
  virtual Task<bool> send(int status, const Headers& headers, std::string body) = 0;
  // Starts a streamed response (chunked; for an HTTP/1.0 client, ended by the close). The head goes out
  // with the first write() or end_stream(), in the same segment; a write failure is reported there.
  virtual Task<bool> begin_stream(int status, const Headers& headers) = 0;
  // Writes one chunk and flushes it. When the connection can take it at once (the common case), it is
  // written without suspending.
  virtual Task<bool> write(std::string_view data) = 0;
  // write() without a coroutine, for the per-token path: when the connection takes all of `data` at once
  // (nearly always while the client reads), writes it and returns true. Otherwise returns false, and
  // `write({})` must follow: it finishes the write as write(data) would have (sends what was not taken, which
  // the writer keeps, or reports the failure).
  virtual bool write_now(std::string_view data) = 0;
  // Writes `last_data` (if any) as a chunk and then the final chunk, together; the response is complete.
  virtual Task<bool> end_stream(std::string_view last_data = {}) = 0;
  // Completes when the client closes or resets its connection (or when cancelled through the awaiting
  // coroutine's cancellation slot). While a handler runs nothing else reads from the connection.
  virtual Task<void> wait_client_gone() = 0;
  // True once a write failed, or wait_client_gone() or watch() observed the client leaving.
  virtual bool client_gone() const = 0;
  // A byte of the response has gone out (a keep-alive counts), or a complete response was sent: an error now
  // can only be told in-band.
  virtual bool started() const = 0;

  // For a handler that streams from its own coroutine alone: watches the connection from callbacks until
  // unwatch() (or the writer's end), instead of a second coroutine. Calls `on_gone` once, on the connection's
  // executor and never from inside a call of this writer, when the client closes or resets the connection
  // (client_gone() is true by then). With `keepalive` above zero, after begin_stream(), writes `filler` as a
  // chunk (the head first, if it has not gone out) whenever nothing was written for that long — only if the
  // connection takes it without waiting: a client that does not read needs no keep-alive.
  virtual void watch(std::function<void()> on_gone, std::chrono::milliseconds keepalive,
                     std::string filler) = 0;
  virtual void unwatch() = 0;
};

using Handler = std::function<Task<void>(HttpRequest&, ResponseWriter&)>;

// What the server does with a request once its head is read, before a byte of its body is read and before
// `Expect: 100-continue` is answered.
struct Admission {
  // Admitted: the body is read (up to ServerLimits::max_body_bytes), then the handler runs. `verified`
  // false: who sends it is not known yet (a peer proof covers the body, so it is checked after); while it is
  // read, the body's declared length (or the body limit, when chunked) counts against
  // IntakeLimits::unverified_body_bytes, and a request that finds no room left gets 503 unread.
  static Admission admit(bool verified) { return Admission{true, verified, 0, {}, {}}; }
  // Refused: this answer is sent and the connection closes; the body is never read.
  static Admission refuse(int status, Headers headers, std::string body) {
    return Admission{false, false, status, std::move(headers), std::move(body)};
  }

  bool admitted;
  bool verified;
  int status;  // refused: the answer
  Headers headers;
  std::string body;
};

// Called on the connection's executor, once per request; must not block.
using Admit = std::function<Admission(const RequestHead&)>;

struct ServerOptions {
  ServerLimits limits;
  bool reuse_port = false;  // SO_REUSEPORT
  // Empty: every request is admitted as verified.
  Admit admit;
  // Connection and unverified-body budgets shared with the node's other servers. Empty: the server has one
  // of its own, with the default IntakeLimits.
  std::shared_ptr<Intake> intake;
  // Set in a cluster: a connection whose first byte begins a TLS handshake is served over a TLS session
  // with this key (the handshake within the header timeout; one that fails closes the connection
  // unanswered), with Arrival::kPeerTls. Other connections are served in plain text as before.
  std::shared_ptr<const PeerTls> tls;
  // Set (the relay's public endpoint): every accepted connection is a TLS session with this certificate, HTTP
  // and WebSocket upgrades alike; nothing is served in plain text. The handshake is bounded by the header
  // timeout; a connection whose handshake fails (plain HTTP included) is closed unanswered. Arrival stays
  // kLoopback or kNetwork, from the TCP peer's address, and so does the remote address. Not with `tls`.
  std::shared_ptr<const ServerCertificate> certificate;
  // Set: a GET for `path` that asks to upgrade to a WebSocket (with `subprotocol`) becomes one, handed to
  // `on_open` after the Admit callback admitted its head; the server is then done with the connection.
  struct WebSocketEndpoint {
    std::string path;
    std::string subprotocol;
    WebSocketOptions options;
    std::function<void(WebSocket, RequestHead)> on_open;
  };
  std::shared_ptr<const WebSocketEndpoint> websocket;
};

class HttpServer {
 public:
  // Binds and listens at once; throws std::system_error when the address cannot be bound.
  HttpServer(const asio::any_io_executor& executor, const std::string& host, unsigned short port,
             Handler handler, ServerOptions options);
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
  // Serves a connection that arrived another way (a stream of the relay link, bridged to a local socket):
  // like an accepted one, outside the intake's budgets (the link bounds its streams). `socket` must use the
  // server's executor; call on it.
  void adopt(asio::ip::tcp::socket socket, Arrival arrival, std::string remote);
  // Connections being served now; safe to call from any thread.
  size_t open_connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace quorum::net
