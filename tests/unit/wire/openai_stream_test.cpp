// Reading an engine's SSE body: both paths give the client the same answer, and the common chunks take the
// pass-through path.
#include "wire/openai_stream.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "wire/stream_writer.h"

namespace quorum::wire {
namespace {

constexpr std::string_view kLlamaServerBody =
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"
    "null}}],\"created\":1,\"id\":\"chatcmpl-x\",\"model\":\"tiny\",\"object\":\"chat.completion.chunk\"}\n\n"
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"H\\u00e9l\"}}]}\n\n"
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"lo \xF0\x9F\"}}]}\n\n"
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"\x99\x82!\"}}]}\n\n"
    "data: {\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}]}\n\n"
    "data: {\"choices\":[],\"usage\":{\"completion_tokens\":4,\"prompt_tokens\":5,\"total_tokens\":9}}\n\n"
    "data: [DONE]\n\n";

StreamIdentity identity() {
  StreamIdentity id;
  id.id = "chatcmpl-node";
  id.created = 1700000000;
  id.model = "tiny";
  id.include_usage = true;
  return id;
}

// The client's stream from `body`, read in pieces of `step` bytes.
std::string serve(OpenAiStreamReader& reader, std::string_view body, size_t step) {
  std::vector<StreamEvent> events;
  for (size_t i = 0; i < body.size(); i += step) reader.feed(body.substr(i, step), events);
  reader.end_of_body(events);
  StreamWriter writer(identity());
  std::string out;
  for (const auto& e : events) writer.on_event(e, out);
  writer.finish(out);
  return out;
}

TEST(OpenAiStreamReader, BothPathsGiveTheSameStreamAndTheCommonChunksPassThrough) {
  for (size_t step : {size_t{1}, size_t{7}, kLlamaServerBody.size()}) {
    OpenAiStreamReader full("engine", false), fast("engine", true);
    std::string a = serve(full, kLlamaServerBody, step);
    std::string b = serve(fast, kLlamaServerBody, step);
    // The only difference a client could see is the engine's \u00e9 kept as it was sent.
    std::string b_unescaped = b;
    for (size_t at; (at = b_unescaped.find("\\u00e9")) != std::string::npos;)
      b_unescaped.replace(at, 6, "\xC3\xA9");
    EXPECT_EQ(a, b_unescaped) << "step " << step;
    EXPECT_NE(b.find("\\u00e9"), std::string::npos);
    EXPECT_TRUE(full.saw_done() && fast.saw_done());
    EXPECT_EQ(full.passed_through(), 0u);
    EXPECT_EQ(full.parsed(), 6u);
    // The role chunk, "Hél", the finish and the usage chunk: passed through. The cut character (its two
    // halves): parsed.
    EXPECT_EQ(fast.passed_through(), 4u);
    EXPECT_EQ(fast.parsed(), 2u);
  }
}

TEST(OpenAiStreamReader, AStreamThatStopsEarlyIsAnError) {
  OpenAiStreamReader reader("engine", true);
  std::vector<StreamEvent> events;
  reader.feed("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n", events);
  reader.end_of_body(events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<EncodedText>(events[0]));
  const auto& error = std::get<StreamError>(events[1]).error;
  EXPECT_EQ(error.status, 502);
  EXPECT_NE(error.message.find("closed the stream before the generation finished"), std::string::npos);
}

TEST(OpenAiStreamReader, AFinishedStreamWithoutDoneEndsWell) {
  OpenAiStreamReader reader("engine", true);
  std::vector<StreamEvent> events;
  reader.feed("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n", events);
  reader.end_of_body(events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Finish>(events[0]));
  EXPECT_FALSE(reader.saw_done());
}

TEST(OpenAiStreamReader, AnErrorEndsTheStreamAndNothingAfterItIsRead) {
  OpenAiStreamReader reader("engine", true);
  std::vector<StreamEvent> events;
  reader.feed(
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"
      "error: {\"code\":500,\"message\":\"slot unavailable\"}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"more\"}}]}\n\n",
      events);
  reader.feed("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"more\"}}]}\n\n", events);
  reader.end_of_body(events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(std::get<StreamError>(events[1]).error.message.find("slot unavailable"), std::string::npos);
  EXPECT_TRUE(reader.ended());
}

TEST(OpenAiStreamReader, AnEventOverTheLimitIsAnError) {
  OpenAiStreamReader reader("engine", true);
  std::vector<StreamEvent> events;
  reader.feed("data: " + std::string(kMaxEventBytes + 10, 'x'), events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(std::get<StreamError>(events[0]).error.message.find("larger than"), std::string::npos);
}

}  // namespace
}  // namespace quorum::wire
