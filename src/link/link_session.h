// LinkSession: the relay link over one WebSocket, after its handshake (the relay's hub and the node's relay
// client do that part): link frames in both directions, and many LinkStreams multiplexed with credit flow
// control (link/frame.h has the wire format). Both ends run one; everything happens on one executor.
//
// Contract:
//  - start() runs the reader and the writer. Every link frame received (STATUS, USAGE, NOTICE, GOAWAY, ...)
//    goes to Handlers::on_link_frame; every stream the other end opens to Handlers::on_open (at most
//    LinkLimits::max_streams open at once: one over that is reset "overloaded").
//  - open() starts a stream (the relay uses odd ids, a node even ones); null when the link is down or full.
//  - The send queue holds at most LinkLimits::max_queued_bytes of DATA: a stream's write() waits for room,
//    so a large body or a slow link stalls writers rather than growing memory. Link frames always queue.
//  - A frame that breaks the protocol (undecodable, an OPEN with a wrong or reused id) closes the link; a
//    stream that breaks its credit is reset "flow_control".
//  - close() sends what is queued, then a close frame; abort() drops the connection at once. Either way,
//    and when the connection fails or its peer goes silent (the WebSocket's idle timeout), every stream is
//    reset "link_gone" and Handlers::on_closed runs once with the reason.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "link/frame.h"
#include "link/link_stream.h"
#include "net/websocket.h"

namespace quorum::link {

struct LinkLimits {
  // Streams open at once on one link, each way counted together: every request the relay carries to one
  // node is one, so this is the node's concurrency through the relay (500 at once is tested). A stream
  // costs a few KiB while it flows and at most kInitialWindow of received bytes while its reader is slow.
  size_t max_streams = 4096;
  size_t max_queued_bytes = size_t{1024} * 1024;
};

class LinkSession : public std::enable_shared_from_this<LinkSession> {
 public:
  enum class Side { kRelay, kNode };
  struct Handlers {
    std::function<void(std::shared_ptr<LinkStream>)> on_open;
    std::function<void(const Frame&)> on_link_frame;
    std::function<void(const std::string& reason)> on_closed;
  };

  LinkSession(net::asio::any_io_executor executor, net::WebSocket ws, Side side, LinkLimits limits = {});

  void start(Handlers handlers);
  // The other end reads BATCH frames (it said so in its AUTH or WELCOME): from now on, frames that are
  // queued together go out in one message (link/frame.h). Frames received in a BATCH are read either way.
  void send_batches() { batches_ = true; }
  std::shared_ptr<LinkStream> open(const std::string& payload);
  // Queues a link frame (stream 0); dropped once the link is down.
  void send(FrameType type, const std::string& payload);
  void close(std::string reason);
  void abort(const std::string& reason);

  bool is_open() const { return open_; }
  // Why the link ended (the reason given to close() or abort(), or what failed); empty while it is open.
  const std::string& close_reason() const { return open_ ? kNone : close_reason_; }
  size_t stream_count() const { return streams_.size(); }
  size_t queued_bytes() const { return queued_bytes_; }
  // How many times a writer went to sleep waiting for room in the send queue (for tests: writers are woken
  // one at a time, so this grows with the writes that waited, not with their square).
  std::uint64_t room_waits() const { return room_waits_; }
  // BATCH messages written (send_batches()).
  std::uint64_t batches_sent() const { return batches_sent_; }
  const std::string& remote_address() const { return ws_.remote_address(); }
  const net::asio::any_io_executor& executor() const { return executor_; }

 private:
  friend class LinkStream;
  static inline const std::string kNone;
  net::Task<void> read_loop();
  net::Task<void> write_loop();
  void on_frame(Frame frame);
  // One message from the other end: a frame, or a BATCH of them. False when it breaks the protocol (the
  // link is closed).
  bool on_message(std::string_view message);
  // Takes a message off the send queue for the writer: the room accounting of DATA.
  std::string pop_queued();
  void enqueue(std::string message, bool data);
  // Waits until the send queue has room for DATA (or the link is down).
  net::Task<void> wait_for_room();
  void forget_if_over(const std::shared_ptr<LinkStream>& stream);
  void finish(const std::string& reason);

  net::asio::any_io_executor executor_;
  net::WebSocket ws_;
  Side side_;
  LinkLimits limits_;
  Handlers handlers_;
  std::map<std::uint32_t, std::shared_ptr<LinkStream>> streams_;
  std::uint32_t next_id_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  bool open_ = true;
  bool closing_ = false;
  bool batches_ = false;
  std::string close_reason_;
  net::asio::steady_timer writer_wake_;
  // Writers waiting for room, woken one at a time (cancel_one, in the order they came): each, once it has
  // room, wakes the next while there is room, so a drain never resumes writers that will find none.
  net::asio::steady_timer room_;
  size_t room_waiters_ = 0;
  std::uint64_t room_waits_ = 0;
  std::uint64_t batches_sent_ = 0;
};

}  // namespace quorum::link
