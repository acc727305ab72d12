#include "link/frame.h"

#include <gtest/gtest.h>

namespace quorum::link {
namespace {

Frame decoded(std::string_view message) {
  auto result = decode(message);
  EXPECT_TRUE(std::holds_alternative<Frame>(result)) << std::get<FrameError>(result).reason;
  return std::holds_alternative<Frame>(result) ? std::get<Frame>(result) : Frame{};
}

std::string rejection(std::string_view message) {
  auto result = decode(message);
  return std::holds_alternative<FrameError>(result) ? std::get<FrameError>(result).reason : "";
}

TEST(LinkFrame, RoundTripsEveryField) {
  const std::string bytes = encode(FrameType::kData, 0x01020304, "hello", kEnd);
  ASSERT_EQ(bytes.size(), kHeaderBytes + 5);
  EXPECT_EQ(static_cast<unsigned char>(bytes[4]), 1);  // big endian
  EXPECT_EQ(static_cast<unsigned char>(bytes[7]), 4);
  const Frame f = decoded(bytes);
  EXPECT_EQ(f.type, FrameType::kData);
  EXPECT_EQ(f.flags, kEnd);
  EXPECT_EQ(f.stream, 0x01020304u);
  EXPECT_EQ(f.payload, "hello");
}

TEST(LinkFrame, AnEmptyPayloadIsAFrame) {
  EXPECT_EQ(decoded(encode(FrameType::kData, 3, "", kEnd)).payload, "");
}

TEST(LinkFrame, RejectsWhatThisVersionNeverSends) {
  EXPECT_NE(rejection("\x07\x00\x00"), "");
  EXPECT_NE(rejection(std::string("\x00\x00\x00\x00\x00\x00\x00\x01", 8)), "");  // type 0
  EXPECT_NE(rejection(std::string("\x63\x00\x00\x00\x00\x00\x00\x01", 8)), "");  // type 99
  EXPECT_NE(rejection(std::string("\x07\x00\x01\x00\x00\x00\x00\x01", 8)), "");  // reserved bits
  EXPECT_NE(rejection(std::string("\x07\x02\x00\x00\x00\x00\x00\x01", 8)), "");  // unknown flag
  EXPECT_NE(rejection(encode(FrameType::kStatus, 0, "{}", kEnd)), "");           // flag on a link frame
  EXPECT_NE(rejection(encode(FrameType::kData, 0, "x")), "");                    // stream frame on 0
  EXPECT_NE(rejection(encode(FrameType::kStatus, 5, "{}")), "");                 // link frame on a stream
  EXPECT_NE(rejection(encode(FrameType::kData, 1, std::string(kMaxDataBytes + 1, 'x'))), "");
  EXPECT_NE(rejection(encode(FrameType::kWindow, 1, "12345")), "");
  EXPECT_NE(rejection(encode(FrameType::kWindow, 1, "0l")), "");  // short (found by fuzz/relay_link.cpp)
  EXPECT_EQ(rejection(encode(FrameType::kData, 1, std::string(kMaxDataBytes, 'x'))), "");
}

TEST(LinkFrame, WindowCarriesANonZeroDelta) {
  EXPECT_EQ(parse_window(window_payload(kInitialWindow)), kInitialWindow);
  EXPECT_EQ(parse_window(window_payload(0)), std::nullopt);
  EXPECT_EQ(parse_window("abc"), std::nullopt);
}

TEST(LinkFrame, ABatchSplitsBackIntoItsFrames) {
  const std::string a = encode(FrameType::kData, 2, "hello");
  const std::string b = encode(FrameType::kWindow, 3, window_payload(7));
  const std::string c = encode(FrameType::kData, 2, "", kEnd);
  std::string batch = encode(FrameType::kBatch, 0, "");
  for (const auto& frame : {a, b, c}) append_to_batch(batch, frame);
  const auto head = decode(std::string_view(batch).substr(0, kHeaderBytes));
  ASSERT_TRUE(std::holds_alternative<Frame>(head));
  EXPECT_EQ(std::get<Frame>(head).type, FrameType::kBatch);
  auto frames = split_batch(std::string_view(batch).substr(kHeaderBytes));
  ASSERT_TRUE(frames);
  ASSERT_EQ(frames->size(), 3u);
  EXPECT_EQ((*frames)[0], a);
  EXPECT_EQ((*frames)[1], b);
  EXPECT_EQ((*frames)[2], c);
  EXPECT_EQ(type_name(FrameType::kBatch), "BATCH");
}

TEST(LinkFrame, ABatchWhoseLengthsDoNotAddUpIsRefused) {
  std::string payload;
  append_to_batch(payload, encode(FrameType::kData, 2, "hello"));
  EXPECT_TRUE(split_batch(payload));
  EXPECT_FALSE(split_batch(""));                                        // empty
  EXPECT_FALSE(split_batch(payload.substr(0, payload.size() - 1)));     // a frame cut short
  EXPECT_FALSE(split_batch(payload + "x"));                             // bytes after the last frame
  EXPECT_FALSE(split_batch(std::string("\0\0\0\0", 4)));                // a zero length
  EXPECT_FALSE(split_batch(std::string("\xff\xff\xff\xff", 4) + "x"));  // a length past the end
  EXPECT_NE(rejection(encode(FrameType::kBatch, 4, payload)), "");      // a link frame on a stream
}

TEST(LinkFrame, DecodeBatchChecksTheWholeMessage) {
  const std::string a = encode(FrameType::kData, 2, "hello");
  std::string good = encode(FrameType::kBatch, 0, "");
  append_to_batch(good, a);
  auto frames = decode_batch(good);
  ASSERT_TRUE(std::holds_alternative<std::vector<std::string_view>>(frames));
  EXPECT_EQ(std::get<std::vector<std::string_view>>(frames), std::vector<std::string_view>{a});

  auto reason = [](std::string_view message) {
    auto r = decode_batch(message);
    return std::holds_alternative<FrameError>(r) ? std::get<FrameError>(r).reason : std::string();
  };
  std::string nested = encode(FrameType::kBatch, 0, "");
  append_to_batch(nested, good);
  EXPECT_EQ(reason(nested), "a BATCH inside a BATCH");
  EXPECT_EQ(reason(good.substr(0, good.size() - 1)), "a BATCH whose lengths do not add up");
  EXPECT_EQ(reason(encode(FrameType::kBatch, 0, "")), "a BATCH whose lengths do not add up");  // empty
  EXPECT_EQ(reason(encode(FrameType::kBatch, 3, good.substr(kHeaderBytes))), "a link frame on a stream");
  EXPECT_EQ(reason(std::string(encode(FrameType::kBatch, 0, "")).substr(0, 5)),
            "a frame shorter than its header");
  std::string over = encode(FrameType::kBatch, 0, "");
  append_to_batch(over, encode(FrameType::kData, 2, std::string(kMaxControlBytes, 'x')));
  EXPECT_EQ(reason(over), "a payload over its bound");
}

TEST(LinkFrame, NamesTypesForLogs) {
  EXPECT_EQ(type_name(FrameType::kGoaway), "GOAWAY");
  EXPECT_EQ(type_name(static_cast<FrameType>(200)), "unknown");
}

}  // namespace
}  // namespace quorum::link
