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

// Found by fuzz/request.cpp: Boost.JSON reads 1e400 as an infinity and 0e400 as NaN, and writes them back as
// `Infinity` and `NaN`; an unknown field holding one was forwarded to the engine (or a peer) as a body that
// is not JSON, and the client got the engine's parse error for it. Now the node refuses it, naming the field.
TEST(ChatRequest, NumbersBeyondADoubleAre400NamingWhere) {
  expect_400(parse_chat_request(with_field(R"("top_k":1e400)")), "top_k");
  expect_400(parse_chat_request(with_field(R"("logit_bias":{"15043":-1e999})")), "logit_bias.15043");
  expect_400(parse_chat_request(with_field(R"("x":[1,{"y":0e400}])")), "x[1].y");
  expect_400(parse_chat_request(R"({"model":"m","messages":[{"role":"user","content":"x","w":[[1e400]]}]})"),
             "messages[0].w[0][0]");
  EXPECT_FALSE(parse_completion_request(R"({"model":"m","prompt":"p","temperature":-1e309})").ok());
  EXPECT_FALSE(parse_embedding_request(R"({"model":"m","input":"p","dimensions":1e400})").ok());
  // Small and large finite numbers stay as they are.
  auto r = parse_chat_request(with_field(R"("a":1e-400,"b":1.7e308,"c":-0.0)"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NE(boost::json::serialize(openai_upstream_body(*r, "u")).find("\"b\":1.7E308"), std::string::npos);
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

// The parsed body keeps the resource it was parsed into (one block, not an allocation per value), and a
// request moved around keeps it too; its contents are the client's.
TEST(ChatRequest, TheBodyKeepsTheStorageItWasParsedInto) {
  auto r = parse_chat_request(with_field(R"("temperature":0.5,"stop":["a","b"])"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->body().storage().is_shared());
  EXPECT_TRUE(r->body().storage().is_deallocate_trivial());  // a monotonic resource
  GenerationRequest moved = std::move(r.value());
  EXPECT_TRUE(moved.body().storage().is_shared());
  EXPECT_EQ(moved.body().at("stop").at(1), "b");
  EXPECT_EQ(moved.body().at("messages").at(0).at("content"), "x");
  auto e = parse_embedding_request(R"({"model":"m","input":"x"})");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->body.storage().is_shared());
}

// The upstream body as text is what serializing the upstream object gives, byte for byte: keys the client
// sent keep their place, the node's own follow in their order, and every value (escapes, numbers, nesting,
// Unicode) is written as Boost.JSON writes it.
TEST(UpstreamBody, AsTextIsTheSerializedObject) {
  const char* chats[] = {
      R"({"model":"m","messages":[{"role":"user","content":"x"}]})",
      R"({"messages":[{"role":"user","content":"caf\u00e9 \"q\" \n\t\u0001 \ud83d\ude00 é"}],"model":"m","stream":true})",
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"stream":false,)"
      R"("stream_options":{"include_usage":false},"max_completion_tokens":7,"top_k":40,"temperature":0.7,)"
      R"("seed":-12,"big":1.7E308,"tiny":5e-324,"n":1,"logit_bias":{"50256":-100},"stop":["\n\n"],"x":null})",
      R"({"model":"m","max_tokens":0,"messages":[{"role":"system","content":""},{"role":"user","content":"hi"}]})",
  };
  for (const char* body : chats) {
    SCOPED_TRACE(body);
    auto r = parse_chat_request(body);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(openai_upstream_json(*r, "engine \"name\""),
              boost::json::serialize(openai_upstream_body(*r, "engine \"name\"")));
  }
  for (const char* body :
       {R"({"model":"m","prompt":"x","max_tokens":3,"echo":true})", R"({"prompt":[1,2],"model":"m"})"}) {
    SCOPED_TRACE(body);
    auto r = parse_completion_request(body);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(openai_upstream_json(*r, "u"), boost::json::serialize(openai_upstream_body(*r, "u")));
  }
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

TEST(ChatRequest, IntegerFieldsOutOfRangeAre400NamingTheField) {
  // Beyond int64, fractions and values outside the field's own range: never cast (UBSan checks), a 400 each.
  for (const char* key : {"n", "max_tokens", "max_completion_tokens", "seed"}) {
    for (const char* value : {"1e300", "1e19", "-1e19", "1.5", "18446744073709551615", "-1e300"}) {
      std::string f = std::string("\"") + key + "\":" + value;
      expect_400(parse_chat_request(with_field(f)), std::string(key));
      expect_400(parse_completion_request(R"({"model":"m","prompt":"x",)" + f + "}"), std::string(key));
    }
  }
  auto big = parse_chat_request(with_field(R"("max_tokens":1e300)"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, "integer_above_max_value");
  EXPECT_NE(big.error().message.find("1e+300"), std::string::npos) << big.error().message;
  expect_400(parse_chat_request(with_field(R"("n":129)")), "n");
  expect_400(parse_chat_request(with_field(R"("max_completion_tokens":-1)")), "max_completion_tokens");
  // In range, whatever the representation.
  auto ok = parse_chat_request(
      with_field(R"("n":1.0,"max_tokens":9223372036854775807,"seed":-9223372036854775808)"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->max_tokens, INT64_MAX);
  auto d = parse_chat_request(with_field(R"("max_completion_tokens":5e3)"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->max_tokens, 5000);
}

TEST(CompletionRequest, TokenIdsOutOfRange) {
  for (const char* ids : {"[1e300]", "[1e19]", "[-1]", "[1.5]", "[2147483648]", "[[1],[1e300]]"}) {
    expect_400(parse_completion_request(std::string(R"({"model":"m","prompt":)") + ids + "}"), "prompt");
    auto e = parse_embedding_request(std::string(R"({"model":"m","input":)") + ids + "}");
    ASSERT_FALSE(e.ok()) << ids;
    EXPECT_EQ(e.error().param, "input");
  }
  EXPECT_TRUE(parse_completion_request(R"({"model":"m","prompt":[0,2147483647,3.0]})").ok());
}

}  // namespace
}  // namespace quorum::wire
