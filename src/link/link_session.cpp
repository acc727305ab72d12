#include "link/link_session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

namespace quorum::link {

namespace asio = net::asio;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

// The timers here are wake-up signals: they never expire (never_expires), and cancel() resumes their
// waiters. Setting a timer's expiry cancels every wait on it, so waiting must not set it: with many writers
// waiting on `room_`, each one re-waiting would wake all the others, and they it (quadratic).
asio::steady_timer never_expires(const asio::any_io_executor& executor) {
  return asio::steady_timer(executor, Clock::time_point::max());
}

net::Task<void> wait_on(asio::steady_timer& timer) {
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
}

std::string reset_payload(const std::string& code, const std::string& message) {
  boost::json::object o{{"code", code}};
  if (!message.empty()) o["message"] = message;
  return boost::json::serialize(o);
}

}  // namespace

// ---- LinkStream ----

LinkStream::LinkStream(std::weak_ptr<LinkSession> session, std::uint32_t id, std::string open_payload,
                       const asio::any_io_executor& executor)
    : session_(std::move(session)),
      id_(id),
      open_(std::move(open_payload)),
      receive_allowed_(kInitialWindow),
      send_credit_(kInitialWindow),
      readable_(never_expires(executor)),
      writable_(never_expires(executor)) {}

net::Task<Result<std::string>> LinkStream::read() {
  for (;;) {
    if (!inbox_.empty()) {
      std::string data = std::move(inbox_.front());
      inbox_.pop_front();
      inbox_bytes_ -= data.size();
      consumed_unacked_ += static_cast<std::uint32_t>(data.size());
      // Credit goes back in batches of a quarter window: fewer frames, and the sender never starves.
      if (consumed_unacked_ >= kInitialWindow / 4 && !remote_ended_) {
        if (auto session = session_.lock()) {
          receive_allowed_ += consumed_unacked_;
          session->enqueue(encode(FrameType::kWindow, id_, window_payload(consumed_unacked_)), false);
        }
        consumed_unacked_ = 0;
      }
      co_return data;
    }
    if (remote_ended_) co_return std::string();
    if (reset_code_) co_return reset_error();
    co_await wait_on(readable_);
    // Woken by new bytes, or the reader's coroutine was cancelled (a `||` it lost): then it stops here.
    auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) {
      co_return ApiError::server(502, "The relay stream's read was cancelled.", "cancelled");
    }
  }
}

net::Task<bool> LinkStream::write(std::string_view data) {
  auto self = shared_from_this();
  while (!data.empty()) {
    while (!reset_code_ && send_credit_ == 0) co_await wait_on(writable_);
    if (reset_code_) co_return false;
    auto session = session_.lock();
    if (!session || !session->open_) co_return false;
    co_await session->wait_for_room();
    if (reset_code_ || !session->open_) co_return false;
    // Credit may have been used by nobody else meanwhile (one writer), but the room wait may have taken a
    // while: take what the credit allows now.
    const size_t n = std::min({data.size(), kChunkBytes, static_cast<size_t>(send_credit_)});
    if (n == 0) continue;
    send_credit_ -= n;
    session->enqueue(encode(FrameType::kData, id_, data.substr(0, n)), true);
    data.remove_prefix(n);
  }
  co_return true;
}

net::Task<bool> LinkStream::end() {
  if (reset_code_ || local_ended_) co_return !reset_code_;
  auto session = session_.lock();
  if (!session || !session->open_) co_return false;
  local_ended_ = true;
  session->enqueue(encode(FrameType::kData, id_, "", kEnd), false);
  session->forget_if_over(shared_from_this());
  co_return true;
}

void LinkStream::reset(const std::string& code, const std::string& message) {
  if (reset_code_ || (remote_ended_ && local_ended_)) return;
  if (auto session = session_.lock(); session && session->open_) {
    session->enqueue(encode(FrameType::kReset, id_, reset_payload(code, message)), false);
  }
  terminate(code);
  if (auto session = session_.lock()) session->forget_if_over(shared_from_this());
}

bool LinkStream::receive_data(std::string data, bool end) {
  if (reset_code_) return true;  // crossed our RESET on the way: ignore
  if (remote_ended_ || data.size() > receive_allowed_) return false;
  receive_allowed_ -= data.size();
  if (!data.empty()) {
    inbox_bytes_ += data.size();
    inbox_.push_back(std::move(data));
  }
  if (end) remote_ended_ = true;
  readable_.cancel();
  return true;
}

void LinkStream::receive_window(std::uint32_t delta) {
  send_credit_ += delta;
  writable_.cancel();
}

void LinkStream::terminate(std::string code) {
  if (!reset_code_) reset_code_ = std::move(code);
  inbox_.clear();
  inbox_bytes_ = 0;
  wake_all();
}

void LinkStream::wake_all() {
  readable_.cancel();
  writable_.cancel();
}

ApiError LinkStream::reset_error() const {
  const std::string code = reset_code_.value_or("reset");
  return ApiError::server(502, "The relay stream ended: " + code + ".", code);
}

// ---- LinkSession ----

LinkSession::LinkSession(asio::any_io_executor executor, net::WebSocket ws, Side side, LinkLimits limits)
    : executor_(std::move(executor)),
      ws_(std::move(ws)),
      side_(side),
      limits_(limits),
      next_id_(side == Side::kRelay ? 1 : 2),
      writer_wake_(never_expires(executor_)),
      room_(never_expires(executor_)) {}

void LinkSession::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  asio::co_spawn(executor_, read_loop(), asio::detached);
  asio::co_spawn(executor_, write_loop(), asio::detached);
}

std::shared_ptr<LinkStream> LinkSession::open(const std::string& payload) {
  if (!open_ || closing_ || streams_.size() >= limits_.max_streams) return nullptr;
  const std::uint32_t id = next_id_;
  next_id_ += 2;
  auto stream = std::make_shared<LinkStream>(weak_from_this(), id, payload, executor_);
  streams_.emplace(id, stream);
  enqueue(encode(FrameType::kOpen, id, payload), false);
  return stream;
}

void LinkSession::send(FrameType type, const std::string& payload) {
  if (!open_) return;
  enqueue(encode(type, 0, payload), false);
}

void LinkSession::close(std::string reason) {
  if (!open_ || closing_) return;
  closing_ = true;
  close_reason_ = std::move(reason);
  writer_wake_.cancel();
}

void LinkSession::abort(const std::string& reason) {
  if (!open_) return;
  ws_.abort();
  finish(reason);
}

void LinkSession::enqueue(std::string message, bool data) {
  if (!open_) return;
  if (data) queued_bytes_ += message.size();
  queue_.push_back(std::move(message));
  writer_wake_.cancel();
}

net::Task<void> LinkSession::wait_for_room() {
  auto self = shared_from_this();
  while (open_ && queued_bytes_ >= limits_.max_queued_bytes) {
    ++room_waiters_;
    ++room_waits_;
    co_await wait_on(room_);
    --room_waiters_;
  }
  // This writer enqueues before anyone else runs; the next waiter, resumed after it, looks again.
  if (open_ && room_waiters_ > 0) room_.cancel_one();
}

void LinkSession::forget_if_over(const std::shared_ptr<LinkStream>& stream) {
  if (!stream->is_over()) return;
  auto it = streams_.find(stream->id());
  if (it != streams_.end() && it->second == stream) streams_.erase(it);
}

net::Task<void> LinkSession::write_loop() {
  auto self = shared_from_this();
  while (open_) {
    if (queue_.empty()) {
      if (closing_) {
        co_await ws_.close(close_reason_);
        finish(close_reason_);
        co_return;
      }
      co_await wait_on(writer_wake_);
      continue;
    }
    std::string message = pop_queued();
    // Frames queued behind it go in the same message while they fit: one write (one masking pass, one
    // system call) for many streams' pieces, and one read at the other end.
    if (batches_ && !queue_.empty()) {
      size_t size = kHeaderBytes + 4 + message.size();
      size_t more = 0;
      for (const auto& next : queue_) {
        if (size + 4 + next.size() > kMaxBatchBytes) break;
        size += 4 + next.size();
        ++more;
      }
      if (more > 0) {
        std::string batch = encode(FrameType::kBatch, 0, "");
        batch.reserve(size);
        append_to_batch(batch, message);
        for (; more > 0; --more) append_to_batch(batch, pop_queued());
        message = std::move(batch);
        ++batches_sent_;
      }
    }
    if (!co_await ws_.write(message)) {
      finish("the connection failed");
      co_return;
    }
  }
}

std::string LinkSession::pop_queued() {
  std::string message = std::move(queue_.front());
  queue_.pop_front();
  if (message.size() > kHeaderBytes && static_cast<FrameType>(message[0]) == FrameType::kData) {
    queued_bytes_ -= message.size();
    // Writers waiting for room are woken once the queue has half drained, not after every frame, and one at
    // a time (wait_for_room).
    if (room_waiters_ > 0 && queued_bytes_ <= limits_.max_queued_bytes / 2) room_.cancel_one();
  }
  return message;
}

bool LinkSession::on_message(std::string_view message) {
  auto fail = [&](const std::string& reason) {
    ws_.abort();
    finish("protocol error: " + reason);
    return false;
  };
  if (!message.empty() && static_cast<FrameType>(message[0]) == FrameType::kBatch) {
    auto batch = decode_batch(message);
    if (const auto* error = std::get_if<FrameError>(&batch)) return fail(error->reason);
    for (std::string_view inner : std::get<std::vector<std::string_view>>(batch)) {
      if (!on_message(inner) || !open_) return false;  // broken, or a handler closed the link
    }
    return true;
  }
  auto decoded = decode(message);
  if (auto* error = std::get_if<FrameError>(&decoded)) return fail(error->reason);
  on_frame(std::move(std::get<Frame>(decoded)));
  return true;
}

net::Task<void> LinkSession::read_loop() {
  auto self = shared_from_this();
  while (open_) {
    auto message = co_await ws_.read();
    if (!message) {
      finish(closing_ ? close_reason_ : "the connection closed");
      co_return;
    }
    if (!on_message(*message)) co_return;
  }
}

void LinkSession::on_frame(Frame frame) {
  if (!is_stream_frame(frame.type)) {
    if (handlers_.on_link_frame) handlers_.on_link_frame(frame);
    return;
  }
  auto it = streams_.find(frame.stream);
  if (frame.type == FrameType::kOpen) {
    // The other end's ids have the other parity; a reused id breaks the protocol.
    const bool theirs = (frame.stream % 2 == 1) == (side_ == Side::kNode);
    if (!theirs || it != streams_.end()) {
      ws_.abort();
      finish("protocol error: OPEN with a bad stream id");
      return;
    }
    auto stream =
        std::make_shared<LinkStream>(weak_from_this(), frame.stream, std::move(frame.payload), executor_);
    if (streams_.size() >= limits_.max_streams || closing_) {
      enqueue(encode(FrameType::kReset, frame.stream, reset_payload("overloaded", "too many open streams")),
              false);
      return;
    }
    streams_.emplace(frame.stream, stream);
    if (handlers_.on_open) {
      handlers_.on_open(stream);
    } else {
      stream->reset("refused");
    }
    return;
  }
  if (it == streams_.end()) return;  // a stream already over (frames crossing a RESET): ignore
  auto stream = it->second;
  switch (frame.type) {
    case FrameType::kData:
      if (!stream->receive_data(std::move(frame.payload), (frame.flags & kEnd) != 0)) {
        stream->reset("flow_control", "more data than the window allowed");
      }
      break;
    case FrameType::kWindow:
      if (auto delta = parse_window(frame.payload)) stream->receive_window(*delta);
      break;
    case FrameType::kReset: {
      std::string code = "reset";
      boost::system::error_code ec;
      auto v = boost::json::parse(frame.payload, ec);
      if (!ec && v.is_object()) {
        if (auto* c = v.as_object().if_contains("code"); c && c->is_string()) {
          code = std::string(c->as_string()).substr(0, 64);
        }
      }
      stream->terminate(code);
      break;
    }
    default:
      break;
  }
  forget_if_over(stream);
}

void LinkSession::finish(const std::string& reason) {
  if (!open_) return;
  open_ = false;
  close_reason_ = reason;
  ws_.abort();
  queue_.clear();
  queued_bytes_ = 0;
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, stream] : streams) stream->terminate("link_gone");
  writer_wake_.cancel();
  room_.cancel();
  if (handlers_.on_closed) {
    auto on_closed = std::move(handlers_.on_closed);
    on_closed(reason);
  }
  handlers_ = {};
}

}  // namespace quorum::link
