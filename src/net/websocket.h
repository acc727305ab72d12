// One WebSocket connection carrying binary messages: the relay link between a node and quorum-relay. Beast's
// websocket (and, for wss://, its TLS stream) lives in websocket.cpp only.
//
// Contract:
//  - connect() dials ws:// or wss:// (certificates checked against the system's trust store, or `ca_file`),
//    offers `subprotocol` and fails unless the server picks it; within `handshake_timeout` in all.
//  - Liveness on both ends: after `idle_timeout / 2` without a received byte a ping goes out, and after
//    `idle_timeout` without one the connection is closed (read() fails). So a peer that vanished without a
//    FIN is noticed within idle_timeout, whatever the traffic in the other direction.
//  - read() returns one whole message (at most `max_message_bytes`; a larger one closes the connection);
//    an error once the connection is closed or failed. One read at a time.
//  - write() sends one binary message; false once the connection failed. One write at a time (the caller
//    queues: Beast asserts on two outstanding writes).
//  - close() sends a close frame with `reason` (bounded wait), then the socket closes; abort() closes the
//    socket at once. Both make a pending read() fail.
//  - permessage-deflate is never negotiated (memory per connection, and compressing secrets next to
//    attacker-chosen bytes).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "net/http_types.h"

namespace quorum::net {

struct WebSocketOptions {
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds idle_timeout{30000};
  size_t max_message_bytes = size_t{2} * 1024 * 1024;
  std::string ca_file;  // wss:// only: trust these certificates instead of the system's
};

class WebSocket {
 public:
  struct Impl;

  // (Pass named values: g++ 12 mishandles temporaries in a co_await expression.)
  static Task<Result<WebSocket>> connect(asio::any_io_executor executor, const std::string& url,
                                         const Headers& headers, const std::string& subprotocol,
                                         const WebSocketOptions& options);

  explicit WebSocket(std::unique_ptr<Impl> impl);
  WebSocket(WebSocket&&) noexcept;
  WebSocket& operator=(WebSocket&&) noexcept;
  ~WebSocket();

  Task<Result<std::string>> read();
  Task<bool> write(std::string_view message);
  Task<void> close(const std::string& reason);
  void abort();
  bool is_open() const;
  // The peer's address as text ("" when unknown).
  const std::string& remote_address() const;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace quorum::net
