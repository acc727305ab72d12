// The scanner (request_scan.h) against the full parse: what it reads, what it leaves to the full parse, and
// the engine body from the client's bytes next to the one from the tree.
#include "wire/request_scan.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "wire/request.h"

namespace quorum::wire {
namespace {

namespace json = boost::json;

// What the openai SDK sends for a streamed chat, and a completion with a prompt list.
constexpr std::string_view kSdkChat =
    R"({"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hi"}],)"
    R"("model":"tiny","max_tokens":16,"stream":true,"stream_options":{"include_usage":true},"temperature":0.7})";

// `body` with "$M" replaced by one user message.
std::string with_messages(std::string_view body) {
  constexpr std::string_view kMessages = R"("messages":[{"role":"user","content":"x"}])";
  std::string out(body);
  if (const size_t at = out.find("$M"); at != std::string::npos) out.replace(at, 2, kMessages);
  return out;
}

// Read both ways: the scanner must have read it, and the two requests agree in every field, in their trees
// and in the engine body's JSON.
GenerationRequest both_ways(GenerationKind kind, std::string_view body) {
  auto scanned = parse_generation_request(kind, std::string(body));
  auto tree = parse_generation_tree(kind, body);
  EXPECT_TRUE(scanned.ok() && tree.ok()) << body;
  if (!scanned.ok() || !tree.ok()) return {};
  EXPECT_NE(scanned->scanned(), nullptr) << "left to the full parse: " << body;
  EXPECT_EQ(tree->scanned(), nullptr);
  EXPECT_EQ(scanned->model, tree->model);
  EXPECT_EQ(scanned->stream, tree->stream);
  EXPECT_EQ(scanned->include_usage, tree->include_usage);
  EXPECT_EQ(scanned->n, tree->n);
  EXPECT_EQ(scanned->max_tokens, tree->max_tokens);
  EXPECT_EQ(scanned->body(), tree->body());
  EXPECT_EQ(json::parse(openai_upstream_json(*scanned, "engine-name")),
            json::value(openai_upstream_body(*tree, "engine-name")));
  return std::move(scanned.value());
}

TEST(RequestScan, TheSdksBodiesAreReadWithoutATree) {
  const GenerationRequest r = both_ways(GenerationKind::kChat, kSdkChat);
  EXPECT_EQ(r.model, "tiny");
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_EQ(r.max_tokens, 16);

  both_ways(GenerationKind::kCompletion, R"({"model":"m","prompt":["a","b"],"n":3,"seed":-7,"stop":[]})");
  both_ways(
      GenerationKind::kChat,
      " {\n \"model\" : \"m\" ,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
      "\"caf\xC3\xA9 \\u00e9\\n\"}],\"name\":null}],\"tools\":[{\"type\":\"function\"}],"
      "\"max_completion_tokens\":5,\"max_tokens\":9,\"stream\":null,\"top_k\":4e1,\"logit_bias\":{}} \n");
}

TEST(RequestScan, TheEngineBodyIsTheClientsBytesWithTheNodesFieldsInPlace) {
  auto r = parse_generation_request(
      GenerationKind::kChat,
      R"({ "model": "tiny", "temperature": 0.70, "messages": [{"role": "user", "content": "x"}], "max_tokens": 3 })");
  ASSERT_TRUE(r.ok());
  ASSERT_NE(r->scanned(), nullptr);
  // The client's spelling of a value is kept (0.70, the spaces inside the messages); the node's keys that the
  // client did not send come last, in the node's order.
  EXPECT_EQ(
      openai_upstream_json(*r, "engine \"name\""),
      R"({"model":"engine \"name\"","temperature":0.70,"messages":[{"role": "user", "content": "x"}],)"
      R"("max_tokens":3,"stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":3})");
}

TEST(RequestScan, ARequestCopiedForARenamedTryParsesItsTreeOnce) {
  auto r = parse_generation_request(GenerationKind::kChat, std::string(kSdkChat));
  ASSERT_TRUE(r.ok());
  const GenerationRequest copy = r.value();
  EXPECT_EQ(&copy.body(), &r->body());  // one tree, shared
  EXPECT_EQ(copy.body().at("temperature"), 0.7);
}

// Each of these the full parse accepts, but the scanner does not try to follow: it says nothing, and the
// request is still read (as a tree) with the same fields.
TEST(RequestScan, WhatItDoesNotFollowIsLeftToTheFullParse) {
  for (const std::string_view text : {
           R"({"mod\u0065l":"m",$M})",                                     // an escape in a key
           R"({"model":"\u006d",$M})",                                     // an escape in the model's name
           R"({"model":"m","x":1,"x":2,$M})",                              // a member twice
           R"({"model":"m","x":1e300,$M})",                                // near a double's range
           R"({"model":"m","x":"\ud83d\ude00",$M})",                       // a surrogate pair
           R"({"model":"m","max_tokens":2.0,$M})",                         // an integer written as a fraction
           R"({"model":"m","seed":1234567890123456789,$M})",               // 19 digits
           R"({"model":"m","messages":[{"role":"user","role":"user"}]})",  // a member twice, inside
           R"({"model":"m","x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],$M})",  // 30 deep
       }) {
    const std::string body = with_messages(text);
    auto r = parse_chat_request(body);
    ASSERT_TRUE(r.ok()) << body << ": " << r.error().message;
    EXPECT_EQ(r->scanned(), nullptr) << body;
    EXPECT_EQ(r->model, "m");
  }
  auto prompt = parse_completion_request(R"({"model":"m","prompt":[[1,2],[3]]})");  // token ids
  ASSERT_TRUE(prompt.ok());
  EXPECT_EQ(prompt->scanned(), nullptr);
}

// A body with anything wrong is never the scanner's: the full parse answers, with its words.
TEST(RequestScan, EveryRefusalIsTheFullParses) {
  for (const std::string_view text : {
           R"({"model":"m",$M,})",       // a trailing comma
           R"({"model":"m",$M} x)",      // something after
           R"({"model":"",$M})",         // an empty model
           R"({"model":"m","n":0,$M})",  // n out of range
           R"({"model":"m","max_tokens":-1,$M})",
           R"({"model":"m","stream":"yes",$M})",
           R"({"model":"m","stop":[1],$M})",
           R"({"model":"m","x":01,$M})",            // a leading zero
           "{\"model\":\"m\",\"x\":\"a\x01\",$M}",  // a control character
           "{\"model\":\"m\",\"x\":\"\xC3\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",  // cut
                                                                                                     // UTF-8
           R"({"model":"m","messages":[{"role":"robot","content":"x"}]})",
           R"({"model":"m","messages":[{"content":"x"}]})",
           R"({"model":"m","messages":[{"role":"user","content":5}]})",
           R"({"model":"m","messages":[]})",
           R"({"model":"m","tools":{},$M})",
       }) {
    const std::string body = with_messages(text);
    auto scanned = scan_generation_request(body, true);
    EXPECT_FALSE(scanned.has_value()) << body;
    auto r = parse_chat_request(body);
    auto tree = parse_generation_tree(GenerationKind::kChat, body);
    ASSERT_FALSE(r.ok()) << body;
    ASSERT_FALSE(tree.ok());
    EXPECT_EQ(r.error().message, tree.error().message);
    EXPECT_EQ(r.error().param, tree.error().param);
  }
}

}  // namespace
}  // namespace quorum::wire
