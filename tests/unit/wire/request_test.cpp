// Validation of client requests: what a user who gets a field wrong is told.
#include "wire/request.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace quorum::wire {
namespace {

void expect_400(const Result<GenerationRequest>& r, const std::optional<std::string>& param) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().type, "invalid_request_error");
  EXPECT_EQ(r.error().param, param) << r.error().message;
  EXPECT_FALSE(r.error().message.empty());
}

// A valid chat request with one more field appended (given as `"name":value`).
std::string with_field(std::string_view field) {
  std::string body = R"({"model":"m","messages":[{"role":"user","content":"x"}],)";
  body.append(field);
  body.push_back('}');
  return body;
}

TEST(ChatRequest, MalformedJsonAndNonObjects) {
  expect_400(parse_chat_request("{\"model\":"), std::nullopt);
  expect_400(parse_chat_request("[1,2]"), std::nullopt);
  expect_400(parse_chat_request(""), std::nullopt);
}

TEST(ChatRequest, MissingAndIllTypedFieldsNameTheField) {
  expect_400(parse_chat_request(R"({"messages":[{"role":"user","content":"x"}]})"), "model");
  expect_400(parse_chat_request(R"({"model":3,"messages":[{"role":"user","content":"x"}]})"), "model");
  expect_400(parse_chat_request(R"({"model":"m"})"), "messages");
  expect_400(parse_chat_request(R"({"model":"m","messages":[]})"), "messages");
  expect_400(parse_chat_request(R"({"model":"m","messages":[{"content":"x"}]})"), "messages[0].role");
  expect_400(parse_chat_request(R"({"model":"m","messages":[{"role":"robot","content":"x"}]})"),
             "messages[0].role");
  expect_400(parse_chat_request(R"({"model":"m","messages":[{"role":"user","content":5}]})"),
             "messages[0].content");
  expect_400(parse_chat_request(with_field(R"("temperature":"hot")")), "temperature");
  expect_400(parse_chat_request(with_field(R"("max_tokens":-1)")), "max_tokens");
  expect_400(parse_chat_request(with_field(R"("max_tokens":1.5)")), "max_tokens");
  expect_400(parse_chat_request(with_field(R"("stream":"yes")")), "stream");
  expect_400(parse_chat_request(with_field(R"("stop":[1])")), "stop");
  expect_400(parse_chat_request(with_field(R"("n":0)")), "n");
  auto r = parse_chat_request(with_field(R"("temperature":"hot")"));
  EXPECT_NE(r.error().message.find("expected a number, but got a string"), std::string::npos);
}

TEST(ChatRequest, StreamingUsageAndUnknownFieldsPassThrough) {
  auto r = parse_chat_request(
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"stream":true,)"
      R"("stream_options":{"include_usage":true},"max_completion_tokens":7,"top_k":40,"chat_template_kwargs":{"a":1}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->include_usage);
  EXPECT_EQ(r->max_tokens, 7);
  auto up = openai_upstream_body(*r, "engine-name");
  EXPECT_EQ(up.at("model"), "engine-name");
  EXPECT_EQ(up.at("top_k"), 40);
  EXPECT_EQ(up.at("chat_template_kwargs").at("a"), 1);
  EXPECT_EQ(up.at("max_tokens"), 7);
  EXPECT_EQ(up.at("max_completion_tokens"), 7);
  EXPECT_EQ(up.at("stream_options").at("include_usage"), true);

  // include_usage only counts when streaming; the upstream always streams with usage.
  auto n = parse_chat_request(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}})");
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->stream);
  EXPECT_FALSE(n->include_usage);
  EXPECT_EQ(openai_upstream_body(*n, "m").at("stream"), true);
}

TEST(CompletionRequest, PromptShapes) {
  EXPECT_TRUE(parse_completion_request(R"({"model":"m","prompt":"x"})").ok());
  EXPECT_TRUE(parse_completion_request(R"({"model":"m","prompt":["a","b"]})").ok());
  EXPECT_TRUE(parse_completion_request(R"({"model":"m","prompt":[1,2]})").ok());
  EXPECT_TRUE(parse_completion_request(R"({"model":"m","prompt":[[1],[2]]})").ok());
  expect_400(parse_completion_request(R"({"model":"m"})"), "prompt");
  expect_400(parse_completion_request(R"({"model":"m","prompt":["a",1]})"), "prompt");
  auto r = parse_completion_request(R"({"model":"m","prompt":"x","max_tokens":3})");
  EXPECT_FALSE(openai_upstream_body(*r, "m").contains("max_completion_tokens"));
}

TEST(EmbeddingRequest, InputAndEncoding) {
  auto r = parse_embedding_request(R"({"model":"m","input":"x","encoding_format":"base64"})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->base64);
  auto bad = parse_embedding_request(R"({"model":"m","input":"x","encoding_format":"hex"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().param, "encoding_format");
  auto empty = parse_embedding_request(R"({"model":"m","input":[]})");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().param, "input");
}

}  // namespace
}  // namespace quorum::wire
