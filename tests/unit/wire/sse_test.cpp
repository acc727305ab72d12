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

// A sink that takes one-line data events as views (as the node's stream reader does), and records every event
// whichever way it came; `decline_after` views taken, it declines the next one.
struct ViewSink final : SseDecoder::Sink {
  std::vector<SseEvent> events;
  size_t views = 0;
  size_t decline_after = SIZE_MAX;
  void on_event(SseEvent& event) override { events.push_back(event); }
  bool on_data(std::string_view data) override {
    if (views == decline_after) return false;
    ++views;
    SseEvent event;
    event.data = data;
    events.push_back(std::move(event));
    return true;
  }
};

TEST(SseDecoder, OneLineDataEventsComeAsViewsAndEqualWhatOnEventGets) {
  for (size_t cut = 0; cut < kRecorded.size(); ++cut) {
    SCOPED_TRACE(cut);
    SseDecoder d;
    ViewSink sink;
    d.feed(std::string_view(kRecorded).substr(0, cut), sink);
    d.feed(std::string_view(kRecorded).substr(cut), sink);
    EXPECT_FALSE(d.has_pending());
    expect_recorded(sink.events);
    // Whole, the first chunk, the second and [DONE] are one data line each; the keep-alive comment, the event
    // of two data lines and the one with `event:` and `id:` go line by line. A cut takes at most one away.
    if (cut == 0) {
      EXPECT_EQ(sink.views, 3u);
    }
    EXPECT_GE(sink.views, 2u);
  }
}

TEST(SseDecoder, ASinkThatDeclinesAViewGetsThatEventAndTheRestThroughOnEvent) {
  SseDecoder d;
  ViewSink sink;
  sink.decline_after = 1;
  d.feed(kRecorded, sink);
  expect_recorded(sink.events);
  EXPECT_EQ(sink.views, 1u);
}

TEST(SseDecoder, ViewsKeepTheCapAndCarriageReturnsGoLineByLine) {
  ViewSink sink;
  SseDecoder d;
  d.feed("data: a\r\n\r\ndata:b\n\ndata:  c\n\n", sink);
  ASSERT_EQ(sink.events.size(), 3u);
  EXPECT_EQ(sink.events[0].data, "a");
  EXPECT_EQ(sink.events[1].data, "b");
  EXPECT_EQ(sink.events[2].data, " c");  // one leading space is removed, not two
  EXPECT_EQ(sink.views, 2u);
  // One line over the cap: the decoder overflows as it does line by line, and nothing is offered.
  SseDecoder capped;
  ViewSink none;
  std::string huge = "data: ";
  huge.append(kMaxEventBytes, 'x');
  huge += "\n\n";
  capped.feed(huge, none);
  EXPECT_TRUE(capped.overflowed());
  EXPECT_TRUE(none.events.empty());
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
