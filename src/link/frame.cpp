#include "link/frame.h"

namespace quorum::link {

namespace {

constexpr std::uint8_t kLastType = static_cast<std::uint8_t>(FrameType::kBatch);

void put_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

std::uint32_t get_u32(std::string_view in) {
  auto b = [&](size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

size_t max_payload(FrameType type) {
  switch (type) {
    case FrameType::kData:
      return kMaxDataBytes;
    case FrameType::kWindow:
      return 4;
    default:
      return kMaxControlBytes;
  }
}

}  // namespace

bool is_stream_frame(FrameType type) {
  switch (type) {
    case FrameType::kOpen:
    case FrameType::kData:
    case FrameType::kWindow:
    case FrameType::kReset:
      return true;
    default:
      return false;
  }
}

std::string encode(FrameType type, std::uint32_t stream, std::string_view payload, std::uint8_t flags) {
  std::string out;
  out.reserve(kHeaderBytes + payload.size());
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  out.push_back(0);
  out.push_back(0);
  put_u32(out, stream);
  out.append(payload);
  return out;
}

std::variant<Frame, FrameError> decode(std::string_view message) {
  if (message.size() < kHeaderBytes) return FrameError{"a frame shorter than its header"};
  const auto raw_type = static_cast<std::uint8_t>(message[0]);
  if (raw_type == 0 || raw_type > kLastType)
    return FrameError{"unknown frame type " + std::to_string(raw_type)};
  Frame frame;
  frame.type = static_cast<FrameType>(raw_type);
  frame.flags = static_cast<std::uint8_t>(message[1]);
  if (message[2] != 0 || message[3] != 0) return FrameError{"reserved header bits set"};
  const std::uint8_t allowed_flags = frame.type == FrameType::kData ? kEnd : 0;
  if ((frame.flags & ~allowed_flags) != 0) return FrameError{"unknown flags"};
  frame.stream = get_u32(message.substr(4));
  const bool stream_frame = is_stream_frame(frame.type);
  if (stream_frame && frame.stream == 0) return FrameError{"a stream frame on stream 0"};
  if (!stream_frame && frame.stream != 0) return FrameError{"a link frame on a stream"};
  const auto payload = message.substr(kHeaderBytes);
  if (payload.size() > max_payload(frame.type)) return FrameError{"a payload over its bound"};
  if (frame.type == FrameType::kWindow && payload.size() != 4) return FrameError{"a WINDOW without its u32"};
  frame.payload.assign(payload);
  return frame;
}

void append_to_batch(std::string& batch, std::string_view frame) {
  put_u32(batch, static_cast<std::uint32_t>(frame.size()));
  batch.append(frame);
}

std::optional<std::vector<std::string_view>> split_batch(std::string_view payload) {
  std::vector<std::string_view> frames;
  while (!payload.empty()) {
    if (payload.size() < 4) return std::nullopt;
    const std::uint32_t length = get_u32(payload);
    payload.remove_prefix(4);
    if (length == 0 || length > payload.size()) return std::nullopt;
    frames.push_back(payload.substr(0, length));
    payload.remove_prefix(length);
  }
  if (frames.empty()) return std::nullopt;
  return frames;
}

std::variant<std::vector<std::string_view>, FrameError> decode_batch(std::string_view message) {
  const auto head = decode(message.substr(0, kHeaderBytes));
  if (const auto* error = std::get_if<FrameError>(&head)) return *error;
  if (std::get<Frame>(head).type != FrameType::kBatch) return FrameError{"not a BATCH"};
  const auto payload = message.substr(kHeaderBytes);
  if (payload.size() > max_payload(FrameType::kBatch)) return FrameError{"a payload over its bound"};
  auto frames = split_batch(payload);
  if (!frames) return FrameError{"a BATCH whose lengths do not add up"};
  for (std::string_view frame : *frames) {
    if (static_cast<FrameType>(frame[0]) == FrameType::kBatch) return FrameError{"a BATCH inside a BATCH"};
  }
  return std::move(*frames);
}

std::string window_payload(std::uint32_t delta) {
  std::string out;
  put_u32(out, delta);
  return out;
}

std::optional<std::uint32_t> parse_window(std::string_view payload) {
  if (payload.size() != 4) return std::nullopt;
  const auto delta = get_u32(payload);
  if (delta == 0) return std::nullopt;
  return delta;
}

std::string_view type_name(FrameType type) {
  switch (type) {
    case FrameType::kHello:
      return "HELLO";
    case FrameType::kAuth:
      return "AUTH";
    case FrameType::kWelcome:
      return "WELCOME";
    case FrameType::kDeny:
      return "DENY";
    case FrameType::kStatus:
      return "STATUS";
    case FrameType::kOpen:
      return "OPEN";
    case FrameType::kData:
      return "DATA";
    case FrameType::kWindow:
      return "WINDOW";
    case FrameType::kReset:
      return "RESET";
    case FrameType::kGoaway:
      return "GOAWAY";
    case FrameType::kUsage:
      return "USAGE";
    case FrameType::kNotice:
      return "NOTICE";
    case FrameType::kBatch:
      return "BATCH";
  }
  return "unknown";
}

}  // namespace quorum::link
