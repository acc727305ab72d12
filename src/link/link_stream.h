// LinkStream: one byte pipe multiplexed over a relay link (link_session.h), in both directions, with credit
// flow control (link/frame.h). Used like a socket by one reader and one writer at a time (they may wait at
// the same time), on the session's executor.
//
// Contract:
//  - read() returns the next bytes the other end sent, in order; an empty string once it ended its side;
//    an error (its `code` the reset code: "cancelled", "link_gone", ...) once the stream was reset either
//    way or the link went down, or code "cancelled" when the reading coroutine is cancelled (it lost a
//    `||`; the stream itself goes on). Reading returns credit to the sender, so an unread stream stops its
//    sender after kInitialWindow bytes: nothing is dropped and nothing unbounded is queued.
//  - write() sends bytes in DATA frames of at most kChunkBytes, each waiting for credit and for room in the
//    link's send queue; false once the stream was reset or the link went down. end() sends the end of this
//    side; writing after it is a programming error.
//  - reset() ends the stream both ways at once and tells the other end (RESET with `code`), unless it is
//    over already. A reset wakes a pending read() and write().
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "net/http_types.h"

namespace quorum::link {

class LinkSession;

class LinkStream : public std::enable_shared_from_this<LinkStream> {
 public:
  static constexpr size_t kChunkBytes = size_t{16} * 1024;

  LinkStream(std::weak_ptr<LinkSession> session, std::uint32_t id, std::string open_payload,
             const net::asio::any_io_executor& executor);

  std::uint32_t id() const { return id_; }
  // The OPEN frame's JSON payload, as sent.
  const std::string& open_payload() const { return open_; }

  net::Task<Result<std::string>> read();
  net::Task<bool> write(std::string_view data);
  net::Task<bool> end();
  void reset(const std::string& code, const std::string& message = {});

  bool is_reset() const { return reset_code_.has_value(); }
  // Both sides ended or reset: the session forgets the stream.
  bool is_over() const { return is_reset() || (remote_ended_ && local_ended_); }

 private:
  friend class LinkSession;
  // Called by the session on frames for this stream. False: the other end broke the protocol (more than
  // its credit, data after its end): the session resets the stream.
  bool receive_data(std::string data, bool end);
  void receive_window(std::uint32_t delta);
  // The stream ended for `code` (a RESET from the other end, or the link went down): wakes everyone.
  void terminate(std::string code);
  void wake_all();
  ApiError reset_error() const;

  std::weak_ptr<LinkSession> session_;
  std::uint32_t id_;
  std::string open_;
  std::deque<std::string> inbox_;
  size_t inbox_bytes_ = 0;
  std::uint64_t receive_allowed_;  // bytes the other end may still send
  std::uint32_t consumed_unacked_ = 0;
  std::uint64_t send_credit_;
  bool remote_ended_ = false;
  bool local_ended_ = false;
  std::optional<std::string> reset_code_;
  net::asio::steady_timer readable_;
  net::asio::steady_timer writable_;
};

}  // namespace quorum::link
