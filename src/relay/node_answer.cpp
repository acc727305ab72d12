// Beast's HTTP parser for the head only, fed by hand (basic_parser::put: the answer arrives as link frames,
// not on a socket); the body's framing is taken off here. (Beast's chunk parser asserts, in a build with
// assertions, when a last chunk arrives a byte at a time: fuzz/node_answer.cpp found it.)
#include "relay/node_answer.h"

#include <boost/beast/http.hpp>

#include "core/hex_digit.h"

namespace quorum::relay {

namespace http = boost::beast::http;

namespace {

constexpr size_t kMaxChunkLineBytes = 4096;             // a chunk-size line with its extensions
constexpr size_t kMaxTrailerBytes = size_t{64} * 1024;  // all trailer lines together

// Appends to `out` what of `in` a counted body still takes (`left` bytes), and counts it off; the bytes used.
size_t take_counted(std::uint64_t& left, std::string_view in, std::string& out) {
  const size_t n = static_cast<size_t>(std::min<std::uint64_t>(left, in.size()));
  out.append(in.substr(0, n));
  left -= n;
  return n;
}

}  // namespace

// A chunked body (RFC 9112 §7.1), a byte at a time where it must be, the chunks' data in bulk.
class NodeAnswer::Chunked {
 public:
  enum class Step { kMore, kDone, kError };

  // Consumes `in`, appending chunk data to `out`. Bytes after the end are ignored.
  Step feed(std::string_view in, std::string& out) {
    for (size_t i = 0; i < in.size() && state_ != State::kDone;) {
      if (state_ == State::kData) {
        i += take_counted(left_, in.substr(i), out);
        if (left_ == 0) state_ = State::kDataCr;
        continue;
      }
      if (!step(in[i++])) return Step::kError;
    }
    return state_ == State::kDone ? Step::kDone : Step::kMore;
  }

 private:
  enum class State {
    kSize,
    kExtension,
    kSizeLf,
    kData,
    kDataCr,
    kDataLf,
    kTrailerStart,
    kTrailer,
    kTrailerLf,
    kEndLf,
    kDone
  };

  // `c` must be `want`; then the state is `next`.
  bool expect(char c, char want, State next) {
    if (c != want) return false;
    state_ = next;
    return true;
  }

  bool step(char c) {
    switch (state_) {
      case State::kSize:
        if (const int v = hex_value(c); v >= 0) {
          if (++digits_ > 15) return false;  // over 2^60 bytes: nobody's chunk
          left_ = left_ * 16 + static_cast<std::uint64_t>(v);
          return true;
        }
        if (digits_ == 0) return false;
        if (c == '\r') {
          state_ = State::kSizeLf;
          return true;
        }
        if (c != ';' && c != ' ' && c != '\t') return false;
        state_ = State::kExtension;
        return true;
      case State::kExtension:
        if (++line_ > kMaxChunkLineBytes) return false;
        if (c == '\r') state_ = State::kSizeLf;
        return true;
      case State::kSizeLf:
        return expect(c, '\n', left_ == 0 ? State::kTrailerStart : State::kData);
      case State::kDataCr:
        return expect(c, '\r', State::kDataLf);
      case State::kDataLf:
        digits_ = 0;
        line_ = 0;
        return expect(c, '\n', State::kSize);
      case State::kTrailerStart:
        state_ = c == '\r' ? State::kEndLf : State::kTrailer;
        return ++trailer_ <= kMaxTrailerBytes;
      case State::kTrailer:
        if (c == '\r') state_ = State::kTrailerLf;
        return ++trailer_ <= kMaxTrailerBytes;
      case State::kTrailerLf:
        return expect(c, '\n', State::kTrailerStart);
      case State::kEndLf:
        return expect(c, '\n', State::kDone);
      case State::kData:
      case State::kDone:
        break;
    }
    return false;
  }

  State state_ = State::kSize;
  std::uint64_t left_ = 0;  // the chunk size being read, then what is left of its data
  int digits_ = 0;
  size_t line_ = 0;
  size_t trailer_ = 0;
};

struct NodeAnswer::Parser {
  http::response_parser<http::empty_body> head;
};

NodeAnswer::NodeAnswer() : parser_(std::make_unique<Parser>()) {
  parser_->head.eager(false);  // put() stops after the head; the body is this file's
  parser_->head.header_limit(static_cast<std::uint32_t>(kMaxHeadBytes));
}

NodeAnswer::~NodeAnswer() = default;

bool NodeAnswer::done() const {
  return body_ == Body::kDone;
}

void NodeAnswer::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  body_ = Body::kFailed;
}

void NodeAnswer::on_head() {
  head_done_ = true;
  auto& parser = parser_->head;
  const auto& head = parser.get();
  status_ = head.result_int();
  for (const auto& field : head) headers_.add(std::string(field.name_string()), std::string(field.value()));
  if (parser.is_done()) {
    body_ = Body::kDone;  // 1xx, 204, 304: no body
  } else if (parser.chunked()) {
    body_ = Body::kChunked;
    chunked_ = std::make_unique<Chunked>();
  } else if (auto length = parser.content_length()) {
    body_ = *length == 0 ? Body::kDone : Body::kLength;
    left_ = *length;
  } else {
    body_ = Body::kUntilEnd;
  }
}

bool NodeAnswer::feed_body(std::string_view bytes) {
  switch (body_) {
    case Body::kChunked:
      switch (chunked_->feed(bytes, body_out_)) {
        case Chunked::Step::kDone:
          body_ = Body::kDone;
          return true;
        case Chunked::Step::kError:
          fail("sent a malformed answer (bad chunked encoding)");
          return false;
        case Chunked::Step::kMore:
          return true;
      }
      return true;
    case Body::kLength:
      take_counted(left_, bytes, body_out_);
      if (left_ == 0) body_ = Body::kDone;
      return true;
    case Body::kUntilEnd:
      body_out_.append(bytes);
      return true;
    case Body::kHead:
    case Body::kDone:
    case Body::kFailed:
      break;
  }
  return true;
}

bool NodeAnswer::feed(std::string_view bytes) {
  if (failed()) return false;
  if (done() || bytes.empty()) return true;  // bytes after a whole answer: nothing asked for them
  if (head_done_) return feed_body(bytes);
  unread_.append(bytes);
  boost::system::error_code ec;
  const size_t used = parser_->head.put(boost::asio::buffer(unread_), ec);
  if (ec == http::error::need_more) {
    // What the parser used (a whole start line, whole fields) it keeps; it wants only the rest again.
    unread_.erase(0, used);
    head_bytes_ += used;
    if (head_bytes_ + unread_.size() > kMaxHeadBytes) {
      fail("sent an answer whose head is over " + std::to_string(kMaxHeadBytes / 1024) + " KiB");
      return false;
    }
    return true;
  }
  if (ec || !parser_->head.is_header_done()) {
    fail("sent a malformed answer (" + (ec ? ec.message() : std::string("no head")) + ")");
    return false;
  }
  on_head();
  std::string rest = unread_.substr(used);
  unread_.clear();
  unread_.shrink_to_fit();
  return done() || feed_body(rest);
}

bool NodeAnswer::end() {
  if (failed()) return false;
  if (done()) return true;
  if (!head_done_) {
    fail("ended before its answer's head was complete");
    return false;
  }
  if (body_ == Body::kUntilEnd) {
    body_ = Body::kDone;
    return true;
  }
  fail("ended before the answer was complete");
  return false;
}

std::string NodeAnswer::take_body() {
  std::string out;
  out.swap(body_out_);
  return out;
}

}  // namespace quorum::relay
