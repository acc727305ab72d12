// Ollama's native dialect, both ways (openai-wire.md §8.1).
#include "wire/ollama_dialect.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace quorum::wire {
namespace {
namespace json = boost::json;

std::vector<StreamEvent> feed_lines(std::initializer_list<std::string_view> lines) {
  OllamaStreamParser p;
  std::vector<StreamEvent> out;
  for (auto l : lines) p.feed(l, out);
  return out;
}

TEST(OllamaStream, ThinkingThenContentThenDoneWithCounters) {
  auto e = feed_lines({
      R"({"model":"q","created_at":"x","message":{"role":"assistant","content":"","thinking":"hm"},"done":false})",
      R"({"model":"q","created_at":"x","message":{"role":"assistant","content":"The"},"done":false})",
      R"({"model":"q","created_at":"x","message":{"role":"assistant","content":""},"done":true,"done_reason":"length","prompt_eval_count":26,"eval_count":282})",
  });
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(std::get<ReasoningDelta>(e[0]).text, "hm");
  EXPECT_EQ(std::get<TextDelta>(e[1]).text, "The");
  EXPECT_EQ(std::get<Finish>(e[2]).reason, FinishReason::kLength);
  EXPECT_EQ(std::get<Usage>(e[3]).prompt_tokens, 26);
  EXPECT_EQ(std::get<Usage>(e[3]).completion_tokens, 282);
}

TEST(OllamaStream, WholeToolCallWithObjectArguments) {
  auto e = feed_lines({
      R"({"message":{"role":"assistant","content":"","tool_calls":[{"function":{"index":0,"name":"get_weather","arguments":{"city":"Tokyo"}}}]},"done":false})",
      R"({"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"})",
  });
  auto& t = std::get<ToolCallDelta>(e[0]);
  EXPECT_EQ(t.name, "get_weather");
  EXPECT_EQ(json::parse(t.arguments), json::parse(R"({"city":"Tokyo"})"));
  EXPECT_FALSE(t.id.empty());
  EXPECT_EQ(std::get<Finish>(e[1]).reason, FinishReason::kToolCalls);
}

TEST(OllamaStream, AToolCallIndexThatDoesNotFitAnIntStaysInvalid) {
  auto e = feed_lines({
      R"({"message":{"content":"","tool_calls":[{"function":{"index":4294967296,"name":"f","arguments":{}}}]},"done":false})",
  });
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(std::get<ToolCallDelta>(e[0]).index, -1);
  EXPECT_TRUE(malformed_event(e[0], 1));
}

TEST(OllamaStream, ErrorLineAndGarbage) {
  auto e = feed_lines({R"({"message":{"content":"a"},"done":false})", R"({"error":"runner died"})"});
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(std::get<StreamError>(e[1]).error.message, "runner died");
  EXPECT_EQ(std::get<StreamError>(e[1]).error.status, 502);
  e = feed_lines({"not json"});
  EXPECT_TRUE(std::holds_alternative<StreamError>(e.at(0)));
}

TEST(OllamaRequest, ChatTranslation) {
  auto r = parse_chat_request(R"({"model":"m","max_tokens":9,"stop":"END","temperature":0.2,"messages":[
    {"role":"developer","content":"be brief"},
    {"role":"user","content":[{"type":"text","text":"see "},{"type":"image_url","image_url":{"url":"data:image/png;base64,QUJD"}}]},
    {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
    {"role":"tool","tool_call_id":"c1","content":"ok"}]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto b = ollama_chat_body(*r, "llama3.2");
  ASSERT_TRUE(b.ok()) << b.error().message;
  const auto& body = b.value();
  EXPECT_EQ(body.at("model"), "llama3.2");
  EXPECT_EQ(body.at("stream"), true);
  const auto& m = body.at("messages").as_array();
  EXPECT_EQ(m[0].at("role"), "system");
  EXPECT_EQ(m[1].at("content"), "see ");
  EXPECT_EQ(m[1].at("images").as_array()[0], "QUJD");
  EXPECT_EQ(m[2].at("tool_calls").as_array()[0].at("function").at("arguments").at("a"), 1);
  EXPECT_EQ(m[3].at("tool_name"), "f");
  EXPECT_EQ(body.at("options").at("num_predict"), 9);
  EXPECT_EQ(body.at("options").at("stop").as_array()[0], "END");
  EXPECT_EQ(body.at("options").at("temperature"), 0.2);
}

TEST(OllamaRequest, HttpImageUrlsAreRefusedClearly) {
  auto r = parse_chat_request(
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]})");
  auto b = ollama_chat_body(*r, "m");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().status, 400);
  EXPECT_EQ(b.error().param, "messages[0].content");
}

TEST(OllamaTags, ModelsAndTimes) {
  auto t = parse_ollama_tags(
      R"({"models":[{"name":"llama3.2:latest","modified_at":"2025-05-04T17:37:44.706015396-07:00"}]})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value()[0].name, "llama3.2:latest");
  EXPECT_EQ(t.value()[0].modified, 1746405464);
  EXPECT_EQ(parse_rfc3339("2025-06-01T10:00:00Z"), 1748772000);
  EXPECT_EQ(parse_ollama_ps(R"({"models":[{"name":"a"},{"model":"b"}]})"),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(parse_ollama_tags("{}").ok());
}

TEST(OllamaErrors, StatusesKeepTheirMeaning) {
  auto e = ollama_error(404, R"({"error":"model 'x' not found"})", "ollama");
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.code, "model_not_found");
  EXPECT_EQ(e.message, "model 'x' not found");
  e = ollama_error(500, R"({"error":"boom"})", "ollama");
  EXPECT_EQ(e.status, 502);
}

// Found by fuzz/engine_errors.cpp: a vector holding 1e400 was read as an infinity and sent to the client as
// `Infinity`, which no JSON decoder accepts.
TEST(OllamaEmbeddings, NumbersBeyondADoubleAreTheEnginesFault) {
  auto r = ollama_embeddings_response(R"({"embeddings":[[0.5,-1e400]],"prompt_eval_count":2})", "m");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 502);
  r = ollama_embeddings_response(R"({"embeddings":[[0.5,-1.5e-7]],"prompt_eval_count":2})", "m");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(boost::json::serialize(r->at("data").at(0).at("embedding")), "[5E-1,-1.5E-7]");
}

}  // namespace
}  // namespace quorum::wire
