// Engines' OpenAI-compatible dialects, read into normalized events (openai-wire.md §3, §5, §8).
#include "wire/openai_dialect.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "wire/ollama_dialect.h"
#include "wire/stream_writer.h"
#include "wire/utf8.h"

namespace quorum::wire {
namespace {

std::vector<StreamEvent> parse(std::string_view data) {
  std::vector<StreamEvent> out;
  parse_openai_chunk(data, out);
  return out;
}

TEST(OpenAiDialect, LlamaCppContentAndFinishWithTimings) {
  auto e =
      parse(R"({"choices":[{"finish_reason":null,"index":0,"delta":{"content":"Hi"}}],"created":1,"id":"x",)"
            R"("model":"m","object":"chat.completion.chunk","timings":{"predicted_n":3}})");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(std::get<TextDelta>(e[0]).text, "Hi");
  e = parse(R"({"choices":[{"finish_reason":"length","index":0,"delta":{}}],"usage":null})");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(std::get<Finish>(e[0]).reason, FinishReason::kLength);
}

TEST(OpenAiDialect, AChunkLargerThanTheParsersStackRoomIsReadWhole) {
  // parse_openai_chunk parses into 4 KB on the stack and goes on into the heap beyond it.
  std::string text(20000, 'x');
  std::string timings;
  for (int i = 0; i < 300; ++i)
    timings += (i ? ",\"t" : "\"t") + std::to_string(i) + "\":" + std::to_string(i);
  auto e = parse(R"({"choices":[{"finish_reason":"stop","index":0,"delta":{"content":")" + text +
                 R"("}}],"timings":{)" + timings + "}}");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(std::get<TextDelta>(e[0]).text, text);
  EXPECT_EQ(std::get<Finish>(e[1]).reason, FinishReason::kStop);
}

TEST(OpenAiDialect, ReasoningUnderAnyOfItsNamesOnce) {
  for (const char* name : {"reasoning_content", "reasoning", "thinking"}) {
    auto e = parse(std::string(R"({"choices":[{"index":0,"delta":{")") + name + R"(":"hmm"}}]})");
    ASSERT_EQ(e.size(), 1u) << name;
    EXPECT_EQ(std::get<ReasoningDelta>(e[0]).text, "hmm");
  }
  // vLLM copies `reasoning` into the deprecated `reasoning_content`: one event, not two.
  auto e = parse(R"({"choices":[{"index":0,"delta":{"reasoning":"a","reasoning_content":"a"}}]})");
  EXPECT_EQ(e.size(), 1u);
}

TEST(OpenAiDialect, UsageChunkWithEmptyChoices) {
  auto e = parse(R"({"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12,)"
                 R"("completion_tokens_details":{"reasoning_tokens":2}}})");
  ASSERT_EQ(e.size(), 1u);
  auto& u = std::get<Usage>(e[0]);
  EXPECT_EQ(u.prompt_tokens, 5);
  EXPECT_EQ(u.completion_tokens, 7);
  EXPECT_EQ(u.reasoning_tokens, 2);
}

TEST(OpenAiDialect, ToolCallFragments) {
  auto e = parse(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function",)"
                 R"("function":{"name":"f","arguments":""}}]}}]})");
  ASSERT_EQ(e.size(), 1u);
  auto& t = std::get<ToolCallDelta>(e[0]);
  EXPECT_EQ(t.id, "c1");
  EXPECT_EQ(t.name, "f");
  e = parse(
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":{"a":1}}}]}}]})");
  EXPECT_EQ(std::get<ToolCallDelta>(e[0]).arguments, R"({"a":1})");  // object arguments get serialized
}

TEST(OpenAiDialect, ErrorsInBand) {
  auto e = parse(R"({"error":{"code":500,"message":"slot died","type":"server_error"}})");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(std::get<StreamError>(e[0]).error.message, "slot died");
  EXPECT_GE(std::get<StreamError>(e[0]).error.status, 500);
  e = parse(R"({"choices":[{"index":0,"delta":{},"finish_reason":"error"}]})");
  EXPECT_TRUE(std::holds_alternative<StreamError>(e.at(0)));
  e = parse("not json");
  EXPECT_TRUE(std::holds_alternative<StreamError>(e.at(0)));
}

// llama.cpp's errors mid-stream carry its message, type and status to the client (openai-wire.md §5.2).
TEST(OpenAiDialect, EngineStreamErrorsKeepTheEnginesWords) {
  // The legacy `error:` field holds the error object itself.
  auto e = engine_stream_error(R"({"code":500,"message":"slot 0: KV cache is full","type":"server_error"})",
                               "gpu");
  EXPECT_EQ(e.status, 502);
  EXPECT_EQ(e.type, "server_error");
  EXPECT_EQ(e.message, "Engine 'gpu' failed: slot 0: KV cache is full");
  // A client's mistake stays one (the status matters when nothing was sent yet).
  e = engine_stream_error(
      R"({"error":{"code":400,"message":"exceeds the context size","type":"exceed_context_size_error"}})",
      "gpu");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.code, "context_length_exceeded");
  EXPECT_EQ(e.message, "exceeds the context size");
  // `event: error` with a bare message object, a string, or text.
  EXPECT_EQ(engine_stream_error(R"({"message":"overloaded","code":503})", "v").status, 503);
  EXPECT_EQ(engine_stream_error(R"("gone")", "v").message, "Engine 'v' failed: gone");
  EXPECT_EQ(engine_stream_error("not json", "v").message, "Engine 'v' failed: not json");
  // The same through parse_openai_chunk when it knows the engine.
  std::vector<StreamEvent> out;
  parse_openai_chunk(R"({"error":{"code":500,"message":"decode failed","type":"server_error"}})", out, "gpu");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<StreamError>(out[0]).error.message, "Engine 'gpu' failed: decode failed");
  EXPECT_EQ(std::get<StreamError>(out[0]).error.status, 502);
}

// An index within the dialect's range but not below the request's n is the writer's to reject (audit M1);
// one that does not fit at all makes the chunk malformed (NumbersOutOfRangeMakeTheChunkMalformed).
TEST(OpenAiDialect, AnIndexInRangeButNotBelowNIsLeftForTheWriterToReject) {
  auto e = parse(R"({"choices":[{"index":5,"delta":{"content":"x"}}]})");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(std::get<TextDelta>(e[0]).choice, 5);
  EXPECT_TRUE(malformed_event(e[0], 1));
  EXPECT_FALSE(malformed_event(TextDelta{0, "x"}, 1));
}

TEST(OpenAiDialect, NumbersOutOfRangeMakeTheChunkMalformed) {
  // The engine's fault: one StreamError (502) naming the field, nothing of the chunk, and no undefined cast.
  auto malformed = [](const std::string& chunk, const std::string& field) {
    auto e = parse(chunk);
    ASSERT_EQ(e.size(), 1u) << chunk;
    ASSERT_TRUE(std::holds_alternative<StreamError>(e[0])) << chunk;
    const auto& err = std::get<StreamError>(e[0]).error;
    EXPECT_EQ(err.status, 502);
    EXPECT_EQ(err.type, "server_error");
    EXPECT_NE(err.message.find(field), std::string::npos) << err.message;
  };
  for (const char* v : {"1e300", "1e19", "-1e19", "1.5", "-1", "18446744073709551615"}) {
    std::string n(v);
    malformed(R"({"choices":[],"usage":{"prompt_tokens":)" + n + R"(,"completion_tokens":1}})",
              "usage.prompt_tokens");
    malformed(R"({"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":)" + n + "}}",
              "usage.completion_tokens");
    malformed(R"({"usage":{"prompt_tokens_details":{"cached_tokens":)" + n + "}}}",
              "usage.prompt_tokens_details.cached_tokens");
    malformed(R"({"usage":{"completion_tokens_details":{"reasoning_tokens":)" + n + "}}}",
              "usage.completion_tokens_details.reasoning_tokens");
    malformed(R"({"choices":[{"index":)" + n + R"(,"delta":{"content":"Hi"}}]})", "choices[].index");
    malformed(R"({"choices":[{"index":0,"delta":{"content":"Hi","tool_calls":[{"index":)" + n +
                  R"(,"function":{"name":"f"}}]}}]})",
              "tool_calls[].index");
  }
  // A choice index is below kMaxChoices (128, the most `n` asks for); a tool call index fits an int.
  malformed(R"({"choices":[{"index":128,"delta":{"content":"Hi"}}]})", "choices[].index");
  malformed(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":2147483648}]}}]})",
            "tool_calls[].index");
  auto e = parse(R"({"choices":[{"index":127.0,"delta":{"content":"Hi"}}]})");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(std::get<TextDelta>(e[0]).choice, 127);
  // A field of another type is ignored, as before.
  e = parse(R"({"choices":[],"usage":{"prompt_tokens":"5","completion_tokens":2}})");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(std::get<Usage>(e[0]).prompt_tokens, 0);
  // An in-band error's numeric code is the HTTP status only when it is one; 1e300 is not (and not cast).
  e = parse(R"({"error":{"code":1e300,"message":"x"}})");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(std::get<StreamError>(e[0]).error.status, 502);
}

TEST(OpenAiDialect, UnknownFinishReasonsBecomeValidOnes) {
  EXPECT_EQ(parse_finish_reason("eos"), FinishReason::kStop);
  EXPECT_EQ(parse_finish_reason("normal"), FinishReason::kStop);
  EXPECT_EQ(parse_finish_reason("length"), FinishReason::kLength);
  EXPECT_EQ(parse_finish_reason("tool_calls"), FinishReason::kToolCalls);
  EXPECT_FALSE(parse_finish_reason("").has_value());
}

TEST(EngineError, LlamaCppVllmOllamaAndPlainText) {
  auto e = engine_error(
      400, R"({"error":{"code":400,"message":"too long","type":"exceed_context_size_error"}})", "e");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.code, "context_length_exceeded");
  EXPECT_EQ(e.message, "too long");

  e = engine_error(
      404, R"({"object":"error","message":"no such model","type":"NotFoundError","param":null,"code":404})",
      "e");
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.message, "no such model");
  EXPECT_EQ(e.code, "model_not_found");

  e = engine_error(500, R"({"error":"out of memory"})", "gpu");
  EXPECT_EQ(e.status, 502);
  EXPECT_EQ(e.type, "server_error");
  EXPECT_NE(e.message.find("out of memory"), std::string::npos);
  EXPECT_NE(e.message.find("gpu"), std::string::npos);

  e = engine_error(503, "Loading model", "e");
  EXPECT_EQ(e.status, 503);
  EXPECT_NE(e.message.find("Loading model"), std::string::npos);
}

// Found by fuzz/engine_errors.cpp: a status that is not an error (a redirect from a proxy in front of the
// engine, a 204) was passed on as the status of the client's error response.
TEST(EngineError, StatusesThatAreNotErrorsBecome502) {
  auto e = engine_error(301, "<html>Moved Permanently</html>", "e");
  EXPECT_EQ(e.status, 502);
  EXPECT_EQ(e.type, "server_error");
  EXPECT_EQ(e.message, "Engine 'e' failed: unexpected HTTP 301: <html>Moved Permanently</html>");
  e = engine_error(204, "", "e");
  EXPECT_EQ(e.status, 502);
  EXPECT_EQ(e.message, "Engine 'e' failed: unexpected HTTP 204");
  EXPECT_EQ(ollama_error(101, "", "o").status, 502);
  EXPECT_EQ(engine_error(600, "", "e").status, 502);
  EXPECT_EQ(engine_error(499, "", "e").status, 499);
}

// Found by fuzz/engine_errors.cpp and fuzz/engine_stream.cpp: an engine's error text went to the client as
// the engine sent it, so a body or an in-band error with bytes that are not UTF-8 made the node's own error
// body invalid JSON, which strict decoders (the python SDK's) refuse instead of raising the error.
TEST(EngineError, WhateverBytesTheEngineSendsTheClientGetsValidJson) {
  auto is_json = [](const ApiError& e) {
    boost::json::error_code ec;
    boost::json::parse(error_body(e), ec);
    return !ec;
  };
  auto e = engine_error(500, "bad \xff\xfe gateway \xc3", "e");
  EXPECT_TRUE(is_json(e)) << e.message;
  EXPECT_NE(e.message.find("bad \xEF\xBF\xBD\xEF\xBF\xBD gateway"), std::string::npos) << e.message;

  // A plain-text body is cut at 500 bytes, between two characters: here before the "é" that straddles it.
  std::string long_body = std::string(499, 'x') + "\xC3\xA9 and more";
  e = engine_error(503, long_body, "");
  EXPECT_TRUE(is_json(e));
  EXPECT_EQ(e.message, std::string(499, 'x'));

  e = engine_error(400, "{\"error\":{\"message\":\"caf\xc3\",\"type\":\"t\xff\",\"code\":\"c\xff\"}}", "e");
  EXPECT_TRUE(is_json(e)) << e.message;

  e = engine_stream_error("{\"error\":{\"message\":\"cut \xe4\xb8\",\"param\":\"\xff\"}}", "e");
  EXPECT_TRUE(is_json(e)) << e.message;
  EXPECT_EQ(e.message, sanitize_utf8("Engine 'e' failed: cut \xe4\xb8"));
  e = engine_stream_error("not json \xff", "e");
  EXPECT_TRUE(is_json(e)) << e.message;

  std::vector<StreamEvent> events;
  parse_openai_chunk("{\"error\":{\"message\":\"oom \xff\",\"code\":500}}", events, "e");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(is_json(std::get<StreamError>(events[0]).error));
}

}  // namespace
}  // namespace quorum::wire
