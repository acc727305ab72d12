// The ResponseWriter of HttpServer's connections (private to src/net: it is Beast). It writes the response
// to one request on the connection's stream and keeps the wire right for what the request allows: no body
// for HEAD (the head says what GET would send), and for an HTTP/1.0 client a stream without chunked encoding,
// ended by closing the connection.
//
// A stream's pieces are written with one non-blocking gathered send while the connection takes them, which
// is nearly always: no suspension, no timer, no wake-up. Only the rest of a piece the connection could not
// take is written asynchronously, within kWriteTimeout.
//
// Runs on the connection's executor; the stream must outlive it.
#pragma once

#include <array>
#include <boost/beast/core/tcp_stream.hpp>
#include <memory>
#include <string>

#include "net/http_server.h"

namespace quorum::net {

class ServerWriter final : public ResponseWriter {
 public:
  // `version`: the request's HTTP version (10 or 11). `keep_alive`: the request lets the connection serve
  // another request after this one. `head_only`: the request was HEAD.
  ServerWriter(boost::beast::tcp_stream& stream, unsigned version, bool keep_alive, bool head_only);
  ~ServerWriter() override;

  Task<bool> send(int status, const Headers& headers, std::string body) override;
  // The head is kept until the first write, so that it and the first chunk leave in one segment: one
  // system call and one wake-up of the client fewer before the first token.
  Task<bool> begin_stream(int status, const Headers& headers) override;
  Task<bool> write(std::string_view data) override;
  bool write_now(std::string_view data) override;
  Task<bool> end_stream(std::string_view last_data) override;
  Task<void> wait_client_gone() override;
  bool client_gone() const override { return gone_; }
  void watch(std::function<void()> on_gone, std::chrono::milliseconds keepalive, std::string filler) override;
  void unwatch() override;

  bool started() const override { return sent_any_ || complete_; }
  // The response went out whole.
  bool complete() const { return complete_; }
  // The connection may serve another request: the request allowed it and the response did not end with the
  // connection (an HTTP/1.0 stream does).
  bool keeps_alive() const { return keep_alive_; }

  // Room for a chunk's size line: 16 hex digits and CRLF.
  static constexpr size_t kSizeLineBytes = 18;

 private:
  struct Watch;

  // Writes what is owed (the pending head, the rest of a keep-alive), `data` (if any) and, if `last`, the end
  // of the body, in one gathered write: as chunks, or as they are for an HTTP/1.0 stream, or nothing but the
  // head for HEAD.
  Task<bool> send_body_part(std::string_view data, bool last);
  // send_body_part() up to its wait: sends what the connection takes now. True when all of it went; false
  // when the client is gone, or with what did not go kept in owed_ (for the next write to send first).
  bool send_part_now(std::string_view data, bool last);
  // The buffers of one gathered write: what is owed, `data` (as a chunk, framed with its size line written
  // into `size_line`, unless the stream is HTTP/1.0) and, if `last`, the end of a chunked body. Their count.
  size_t frame(std::string_view data, bool last, char (&size_line)[kSizeLineBytes],
               std::array<boost::asio::const_buffer, 5>& buffers) const;
  // From a watch's timer: writes the filler if the connection takes it now; what it could not take is owed.
  void keep_alive_now(std::string_view filler);
  void mark_gone();

  boost::beast::tcp_stream& stream_;
  unsigned version_;
  bool keep_alive_;
  bool head_only_;
  bool chunked_ = false;
  bool streaming_ = false;
  bool sent_any_ = false;
  bool writing_ = false;  // an asynchronous write is under way
  bool complete_ = false;
  bool gone_ = false;
  std::string owed_;  // bytes that go out before anything else: a streaming head, the rest of a keep-alive
  std::shared_ptr<Watch> watch_;
};

}  // namespace quorum::net
