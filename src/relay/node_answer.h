// A node's HTTP/1.1 answer read from the pieces of a relay link stream, as they arrive: the head, then the
// body with its framing (Content-Length, chunked, or up to the end of the stream) taken off. Pure: bytes in,
// no socket; relay/proxy.cpp feeds it what LinkStream::read() returns, so the relay parses the node's answer
// without a local socket pair in between.
//
// Contract:
//  - feed() takes any split of the bytes (one at a time, or all at once) and gives the same head and body.
//  - end() says the node ended its side: an answer framed by Content-Length or chunks that is not complete
//    by then is an error ("ended before the answer was complete"); one without framing ends there.
//  - After an error (a malformed head or framing, or a head over kMaxHeadBytes), failed() holds, error()
//    says what, and later bytes are ignored.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/http_types.h"

namespace quorum::relay {

class NodeAnswer {
 public:
  static constexpr size_t kMaxHeadBytes = size_t{64} * 1024;

  NodeAnswer();
  ~NodeAnswer();
  NodeAnswer(const NodeAnswer&) = delete;
  NodeAnswer& operator=(const NodeAnswer&) = delete;

  // Parses `bytes`; what they complete of the body is appended to take_body()'s. False once failed().
  bool feed(std::string_view bytes);
  // The node ended its side of the stream. False when the answer was cut short (failed() then holds).
  bool end();

  bool head_done() const { return head_done_; }
  // The whole answer has been read (its framing says so, or end() ended an unframed one).
  bool done() const;
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  // Valid once head_done().
  unsigned status() const { return status_; }
  const net::Headers& headers() const { return headers_; }

  // The body bytes read since the last call (the caller appends them where it keeps them).
  std::string take_body();

 private:
  struct Parser;
  class Chunked;
  enum class Body { kHead, kChunked, kLength, kUntilEnd, kDone, kFailed };
  void fail(std::string why);
  void on_head();
  bool feed_body(std::string_view bytes);

  std::unique_ptr<Parser> parser_;
  std::unique_ptr<Chunked> chunked_;
  std::string unread_;     // the head's bytes the parser has not used yet
  size_t head_bytes_ = 0;  // the head's bytes it has used
  Body body_ = Body::kHead;
  std::uint64_t left_ = 0;  // of a Content-Length body
  std::string body_out_;    // body bytes not taken yet
  bool head_done_ = false;
  unsigned status_ = 0;
  net::Headers headers_;
  std::string error_;
};

}  // namespace quorum::relay
