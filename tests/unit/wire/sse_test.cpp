// SSE decoding as the SDKs do it, whatever the network does to the bytes.
#include "wire/sse.h"

#include <gtest/gtest.h>

namespace quorum::wire {
namespace {

const std::string kRecorded =
    "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
    ": keep-alive\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"h\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C "
    "\xF0\x9F\x99\x82\"}}]}\n\n"
    "data: {\"a\":\n"
    "data: 1}\n\n"
    "event: message\n"
    "id: 7\n"
    "data: {\"b\":2}\n\n"
    "data: [DONE]\n\n";

std::vector<SseEvent> decode_in_pieces(const std::string& bytes, const std::vector<size_t>& cuts) {
  SseDecoder d;
  std::vector<SseEvent> out;
  size_t prev = 0;
  for (size_t cut : cuts) {
    d.feed(std::string_view(bytes).substr(prev, cut - prev), out);
    prev = cut;
  }
  d.feed(std::string_view(bytes).substr(prev), out);
  EXPECT_FALSE(d.has_pending());
  return out;
}

void expect_recorded(const std::vector<SseEvent>& e) {
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(
      e[1].data,
      "{\"choices\":[{\"delta\":{\"content\":\"h\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C \xF0\x9F\x99\x82\"}}]}");
  EXPECT_EQ(e[2].data, "{\"a\":\n1}");
  EXPECT_EQ(e[3].event, "message");
  EXPECT_EQ(e[3].data, "{\"b\":2}");
  EXPECT_TRUE(is_done_sentinel(e[4].data));
}

TEST(SseDecoder, WholeStream) {
  expect_recorded(decode_in_pieces(kRecorded, {}));
}

TEST(SseDecoder, SplitAtEveryByte) {
  for (size_t cut = 1; cut < kRecorded.size(); ++cut) {
    SCOPED_TRACE(cut);
    expect_recorded(decode_in_pieces(kRecorded, {cut}));
  }
}

TEST(SseDecoder, OneByteAtATime) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < kRecorded.size(); ++i) cuts.push_back(i);
  expect_recorded(decode_in_pieces(kRecorded, cuts));
}

TEST(SseDecoder, CrlfAndLoneCrLineEndings) {
  for (std::string ending : {"\r\n", "\r"}) {
    std::string s;
    for (char c : kRecorded) {
      if (c == '\n') {
        s += ending;
      } else {
        s += c;
      }
    }
    for (size_t cut = 1; cut < s.size(); ++cut) {
      SCOPED_TRACE(cut);
      expect_recorded(decode_in_pieces(s, {cut}));
    }
  }
}

TEST(SseDecoder, UnterminatedLastEventIsNotDispatched) {
  SseDecoder d;
  std::vector<SseEvent> out;
  d.feed("data: {\"x\":1}\n\ndata: {\"y\":2}\n", out);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_TRUE(d.has_pending());
}

TEST(SseDecoder, NoSpaceAfterColonAndEventWithoutData) {
  SseDecoder d;
  std::vector<SseEvent> out;
  d.feed("data:{\"x\":1}\n\nevent: ping\n\nretry: 5\n\n", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].data, "{\"x\":1}");
  EXPECT_EQ(out[1].event, "ping");
  EXPECT_EQ(out[1].data, "");
}

TEST(SseEncoder, Frames) {
  EXPECT_EQ(sse_data("{}"), "data: {}\n\n");
  EXPECT_EQ(sse_comment("keep-alive"), ": keep-alive\n\n");
  EXPECT_EQ(kSseDone, "data: [DONE]\n\n");
  EXPECT_TRUE(is_done_sentinel(" [DONE] "));
  EXPECT_FALSE(is_done_sentinel("[DONE]x"));
}

TEST(LineSplitter, NdjsonWithCrlfEmptyLinesAndAMissingFinalNewline) {
  LineSplitter s;
  std::vector<std::string> out;
  s.feed("{\"a\":1}\r\n\n{\"b\"", out);
  s.feed(":2}\n{\"c\":3}", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "{\"a\":1}");
  EXPECT_EQ(out[1], "{\"b\":2}");
  EXPECT_EQ(s.take_rest(), "{\"c\":3}");
}

TEST(SseDecoder, LlamaCppLegacyErrorFieldIsDispatched) {
  SseDecoder d;
  std::vector<SseEvent> out;
  d.feed("data: {\"a\":1}\n\nerror: {\"code\":500,\"message\":\"boom\"}\n\n", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].error.empty());
  EXPECT_EQ(out[1].error, "{\"code\":500,\"message\":\"boom\"}");
  EXPECT_TRUE(out[1].data.empty());
  EXPECT_FALSE(d.has_pending());
}

// An engine that never ends a line must not grow memory forever (audit M2).
TEST(SseDecoder, ALineThatNeverEndsOverflowsAtTheCapAndNothingIsKept) {
  SseDecoder d;
  std::vector<SseEvent> out;
  d.feed("data: {\"ok\":1}\n\ndata: ", out);
  ASSERT_EQ(out.size(), 1u);
  const std::string piece(64 << 10, 'x');
  size_t fed = 0;
  while (!d.overflowed() && fed < 4 * kMaxEventBytes) {
    d.feed(piece, out);
    fed += piece.size();
  }
  EXPECT_TRUE(d.overflowed());
  EXPECT_LE(fed, kMaxEventBytes + piece.size());
  EXPECT_FALSE(d.has_pending());           // what it held is freed
  d.feed("\n\ndata: {\"b\":2}\n\n", out);  // and nothing more is decoded
  EXPECT_EQ(out.size(), 1u);
}

TEST(SseDecoder, AnEventOfManyShortDataLinesIsCappedWhole) {
  SseDecoder d;
  std::vector<SseEvent> out;
  const std::string line = "data: " + std::string(1000, 'y') + "\n";
  for (int i = 0; i < 2000 && !d.overflowed(); ++i) d.feed(line, out);
  EXPECT_TRUE(d.overflowed());
  EXPECT_TRUE(out.empty());
}

TEST(SseDecoder, AnEventJustUnderTheCapIsDecoded) {
  SseDecoder d;
  std::vector<SseEvent> out;
  const std::string data(kMaxEventBytes - 10, 'z');
  d.feed("data: " + data + "\n\n", out);
  EXPECT_FALSE(d.overflowed());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, data);
}

TEST(LineSplitter, ALineThatNeverEndsOverflowsAtTheCap) {
  LineSplitter s;
  std::vector<std::string> out;
  s.feed("{\"a\":1}\n", out);
  const std::string piece(64 << 10, 'x');
  size_t fed = 0;
  while (!s.overflowed() && fed < 4 * kMaxEventBytes) {
    s.feed(piece, out);
    fed += piece.size();
  }
  EXPECT_TRUE(s.overflowed());
  EXPECT_LE(fed, kMaxEventBytes + piece.size());
  EXPECT_TRUE(s.take_rest().empty());
  s.feed("\n{\"b\":2}\n", out);
  EXPECT_EQ(out.size(), 1u);

  LineSplitter under;
  under.feed(std::string(kMaxEventBytes, 'w') + "\r\n", out);
  EXPECT_FALSE(under.overflowed());
  EXPECT_EQ(out.size(), 2u);
}

}  // namespace
}  // namespace quorum::wire
