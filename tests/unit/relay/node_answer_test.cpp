// NodeAnswer: a node's HTTP/1.1 answer read from link-stream pieces, split anywhere.
#include "relay/node_answer.h"

#include <gtest/gtest.h>

namespace quorum::relay {
namespace {

constexpr std::string_view kSse =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Request-Id: r1\r\nTransfer-Encoding: chunked\r\n"
    "\r\n"
    "16\r\ndata: {\"choices\":[]}\n\n\r\n"
    "e\r\ndata: [DONE]\n\n\r\n"
    "0\r\n\r\n";

struct Read {
  std::string body;
  bool done = false;
  bool failed = false;
};

Read read_in_pieces(NodeAnswer& answer, std::string_view bytes, size_t step, bool end) {
  Read r;
  for (size_t at = 0; at < bytes.size(); at += step) {
    answer.feed(bytes.substr(at, step));
    r.body += answer.take_body();
  }
  if (end) answer.end();
  r.body += answer.take_body();
  r.done = answer.done();
  r.failed = answer.failed();
  return r;
}

TEST(NodeAnswer, AChunkedStreamReadsTheSameHoweverItIsSplit) {
  for (size_t step = 1; step <= kSse.size(); ++step) {
    NodeAnswer answer;
    Read r = read_in_pieces(answer, kSse, step, false);
    ASSERT_TRUE(answer.head_done()) << "step " << step;
    EXPECT_EQ(answer.status(), 200u);
    EXPECT_EQ(answer.headers().get("content-type"), "text/event-stream");
    EXPECT_EQ(answer.headers().get("x-request-id"), "r1");
    EXPECT_EQ(r.body, "data: {\"choices\":[]}\n\ndata: [DONE]\n\n") << "step " << step;
    EXPECT_TRUE(r.done) << "step " << step;
    EXPECT_FALSE(r.failed);
  }
}

TEST(NodeAnswer, TheBodyComesOutAsItsChunksArrive) {
  NodeAnswer answer;
  const std::string_view head_and_first = kSse.substr(0, kSse.find("e\r\n"));
  ASSERT_TRUE(answer.feed(head_and_first));
  EXPECT_EQ(answer.take_body(), "data: {\"choices\":[]}\n\n");
  EXPECT_FALSE(answer.done());
  ASSERT_TRUE(answer.feed(kSse.substr(head_and_first.size())));
  EXPECT_EQ(answer.take_body(), "data: [DONE]\n\n");
  EXPECT_TRUE(answer.done());
}

TEST(NodeAnswer, ContentLengthAndUnframedAnswers) {
  NodeAnswer sized;
  Read r =
      read_in_pieces(sized, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy", 3, false);
  EXPECT_EQ(sized.status(), 503u);
  EXPECT_EQ(r.body, "busy");
  EXPECT_TRUE(r.done);

  NodeAnswer unframed;
  r = read_in_pieces(unframed, "HTTP/1.1 200 OK\r\n\r\nall of it", 5, false);
  EXPECT_FALSE(r.done);  // until the node ends its side
  EXPECT_TRUE(unframed.end());
  EXPECT_EQ(r.body + unframed.take_body(), "all of it");
  EXPECT_TRUE(unframed.done());
}

TEST(NodeAnswer, AnAnswerCutShortIsAnErrorThatSaysSo) {
  NodeAnswer cut;
  Read r = read_in_pieces(cut, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nshort", 4, true);
  EXPECT_TRUE(r.failed);
  EXPECT_FALSE(r.done);
  EXPECT_EQ(r.body, "short");  // what came whole before the cut is still handed out
  EXPECT_EQ(cut.error(), "ended before the answer was complete");

  NodeAnswer no_head;
  no_head.feed("HTTP/1.1 200 OK\r\nContent-");
  EXPECT_FALSE(no_head.end());
  EXPECT_EQ(no_head.error(), "ended before its answer's head was complete");
}

TEST(NodeAnswer, ChunkExtensionsAndTrailersAreTakenOffTheBody) {
  constexpr std::string_view kAnswer =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Request-Id: r2\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "6 \r\n world\r\n"
      "0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n";
  for (size_t step = 1; step <= kAnswer.size(); ++step) {
    NodeAnswer answer;
    Read r = read_in_pieces(answer, kAnswer, step, false);
    EXPECT_EQ(r.body, "hello world") << "step " << step;
    EXPECT_TRUE(r.done) << "step " << step;
    EXPECT_FALSE(answer.headers().has("x-trailer")) << "a trailer is not a header (step " << step << ")";
  }
}

TEST(NodeAnswer, MalformedChunkFramingFails) {
  for (std::string_view body :
       {"zz\r\n", "\r\n", "5\r\nhelloXX", "5\nhello\r\n", "1000000000000000\r\n", "0\r\nX: y\rZ"}) {
    NodeAnswer answer;
    answer.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    answer.feed(body);
    EXPECT_TRUE(answer.failed()) << body;
    EXPECT_EQ(answer.error(), "sent a malformed answer (bad chunked encoding)") << body;
  }
}

TEST(NodeAnswer, WhatIsNotHttpFailsAndStaysFailed) {
  NodeAnswer garbage;
  EXPECT_FALSE(garbage.feed("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
  EXPECT_TRUE(garbage.failed());
  EXPECT_NE(garbage.error().find("malformed answer"), std::string::npos) << garbage.error();
  EXPECT_FALSE(garbage.feed(kSse));
  EXPECT_FALSE(garbage.head_done());
  EXPECT_EQ(garbage.take_body(), "");

  NodeAnswer huge_head;
  const std::string field = "X-Pad: " + std::string(1000, 'p') + "\r\n";
  bool ok = huge_head.feed("HTTP/1.1 200 OK\r\n");
  for (int i = 0; i < 80 && ok; ++i) ok = huge_head.feed(field);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(huge_head.failed());
}

}  // namespace
}  // namespace quorum::relay
