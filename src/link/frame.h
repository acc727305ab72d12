// The relay link's framing: every WebSocket binary message between a node and the relay is one frame,
// an 8-byte header then a payload:
//
//   u8 type | u8 flags | u16 reserved (0) | u32 stream id (big endian) | payload
//
// Stream 0 is the link itself (handshake, status, pings, broadcasts); streams 1.. are byte pipes opened by
// either end (the relay opens odd ids, a node even ones, so both can open at once without a clash). A stream
// carries raw bytes in DATA frames and is flow-controlled by credit: each end may send at most the window the
// other has granted (kInitialWindow at OPEN, more with every WINDOW frame), so a slow reader stalls only its
// own stream and nothing is ever dropped. Control payloads are JSON text; DATA is raw; WINDOW is a u32.
//
// decode() never throws and rejects, with a reason, anything that is not a frame this version sends: a short
// header, an unknown type, non-zero reserved bits or unknown flags, a payload over the type's bound, stream 0
// with a stream frame or a stream id with a link frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace quorum::link {

enum class FrameType : std::uint8_t {
  kHello = 1,    // relay → node, link: {relay_id, challenge}
  kAuth = 2,     // node → relay, link: {node_id, cluster_id, signature, ...}
  kWelcome = 3,  // relay → node, link: {relay_id, ...}
  kDeny = 4,     // relay → node, link: {code, message}
  kStatus = 5,   // node → relay, link: the node's status (models, capacity, load)
  kOpen = 6,     // either, stream: opens the stream; JSON {kind, ...}
  kData = 7,     // either, stream: bytes; flag kEnd: the sender sends no more on this stream
  kWindow = 8,   // either, stream: u32 more bytes the receiver accepts
  kReset = 9,    // either, stream: the stream ends at once both ways; JSON {code, message}
  kGoaway = 10,  // relay → node, link: {reason, reconnect_in_ms}
  kUsage = 11,   // node → relay, link: what one request used (no content)
  kNotice = 12,  // relay → node, link: broadcasts (keys, membership, peers)
  kBatch = 13,   // either, link: several frames in one message (below); sent only to an end that said it
                 // reads them (`"batches": true` in its AUTH or WELCOME)
};

inline constexpr std::uint8_t kEnd = 1;  // flag of kData
inline constexpr size_t kHeaderBytes = 8;
inline constexpr size_t kMaxDataBytes = size_t{64} * 1024;
inline constexpr size_t kMaxControlBytes = size_t{1024} * 1024;
inline constexpr std::uint32_t kInitialWindow = 256 * 1024;

struct Frame {
  FrameType type = FrameType::kData;
  std::uint8_t flags = 0;
  std::uint32_t stream = 0;
  std::string payload;
};

// True for the types that belong to a stream (id ≥ 1); the others belong to the link (id 0).
bool is_stream_frame(FrameType type);

std::string encode(FrameType type, std::uint32_t stream, std::string_view payload, std::uint8_t flags = 0);
inline std::string encode(const Frame& frame) {
  return encode(frame.type, frame.stream, frame.payload, frame.flags);
}

struct FrameError {
  std::string reason;
};
std::variant<Frame, FrameError> decode(std::string_view message);

// BATCH: frames that were queued together go out in one WebSocket message (one write, one read), each as a
// u32 length (big endian) then the frame's own bytes. A batch holds at least one frame and no BATCH.
inline constexpr size_t kMaxBatchBytes = size_t{64} * 1024;  // what a sender packs into one; a frame over it
                                                             // goes alone
// Appends one encoded frame to `batch` (which starts as encode(FrameType::kBatch, 0, "")).
void append_to_batch(std::string& batch, std::string_view frame);
// The frames of a BATCH frame's payload, as views into it; nullopt when the lengths do not add up exactly, a
// length is 0, or the batch is empty (decode() each frame; a BATCH inside is the caller's error to refuse).
std::optional<std::vector<std::string_view>> split_batch(std::string_view payload);
// A whole BATCH message (its type byte is kBatch): its header checked as decode() checks any frame's, its
// payload bound, its lengths (split_batch), and no BATCH among its frames; the frames as views into it, each
// still to decode(). Unlike decode(), it copies nothing.
std::variant<std::vector<std::string_view>, FrameError> decode_batch(std::string_view message);

std::string window_payload(std::uint32_t delta);
// nullopt unless exactly 4 bytes with a non-zero delta.
std::optional<std::uint32_t> parse_window(std::string_view payload);

// The name of a type for logs ("DATA"); "unknown" for others.
std::string_view type_name(FrameType type);

}  // namespace quorum::link
