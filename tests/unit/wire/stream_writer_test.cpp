// The stream a client receives, checked the way the SDKs read it.
#include "wire/stream_writer.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "wire/sse.h"

namespace quorum::wire {
namespace {
namespace json = boost::json;

StreamIdentity chat_identity(bool include_usage = false) {
  StreamIdentity id;
  id.id = "chatcmpl-abc";
  id.created = 1700000000;
  id.model = "tiny";
  id.include_usage = include_usage;
  return id;
}

// Decodes the SSE bytes into payloads; checks framing on the way.
std::vector<std::string> payloads(const std::string& sse) {
  SseDecoder d;
  std::vector<SseEvent> events;
  d.feed(sse, events);
  EXPECT_FALSE(d.has_pending());
  std::vector<std::string> out;
  for (auto& e : events) {
    EXPECT_TRUE(e.event.empty());
    out.push_back(e.data);
  }
  return out;
}

std::vector<json::object> chunks(const std::vector<std::string>& p) {
  std::vector<json::object> out;
  for (const auto& s : p) {
    if (s == "[DONE]") continue;
    out.push_back(json::parse(s).as_object());
  }
  return out;
}

TEST(StreamWriter, RoleOnceContentFinishDoneWithStableIdentity) {
  StreamWriter w(chat_identity());
  std::string out;
  w.on_event(TextDelta{0, "Hel"}, out);
  w.on_event(TextDelta{0, "lo"}, out);
  w.on_event(Finish{0, FinishReason::kStop}, out);
  w.on_event(Usage{3, 2}, out);
  w.finish(out);
  auto p = payloads(out);
  ASSERT_EQ(p.back(), "[DONE]");
  auto c = chunks(p);
  ASSERT_EQ(c.size(), 4u);  // role, Hel, lo, finish
  int roles = 0;
  std::string text;
  for (auto& ch : c) {
    EXPECT_EQ(ch.at("id"), "chatcmpl-abc");
    EXPECT_EQ(ch.at("created"), 1700000000);
    EXPECT_EQ(ch.at("model"), "tiny");
    EXPECT_EQ(ch.at("object"), "chat.completion.chunk");
    EXPECT_FALSE(ch.contains("usage"));
    auto& choice = ch.at("choices").as_array().at(0).as_object();
    auto& delta = choice.at("delta").as_object();
    if (delta.contains("role")) ++roles;
    if (delta.contains("content")) text += delta.at("content").as_string().c_str();
  }
  EXPECT_EQ(roles, 1);
  EXPECT_EQ(text, "Hello");
  EXPECT_EQ(c.back().at("choices").as_array().at(0).at("finish_reason"), "stop");
  EXPECT_TRUE(c[1].at("choices").as_array().at(0).at("finish_reason").is_null());
}

TEST(StreamWriter, UsageChunkOnlyWhenAskedAndLast) {
  for (bool asked : {false, true}) {
    StreamWriter w(chat_identity(asked));
    std::string out;
    w.on_event(TextDelta{0, "x"}, out);
    w.on_event(Finish{0, FinishReason::kLength}, out);
    w.on_event(Usage{7, 1}, out);
    w.finish(out);
    auto c = chunks(payloads(out));
    bool has_usage_chunk = c.back().contains("usage");
    EXPECT_EQ(has_usage_chunk, asked);
    if (asked) {
      EXPECT_TRUE(c.back().at("choices").as_array().empty());
      EXPECT_EQ(c.back().at("usage").at("prompt_tokens"), 7);
      EXPECT_EQ(c.back().at("usage").at("completion_tokens"), 1);
      EXPECT_EQ(c.back().at("usage").at("total_tokens"), 8);
      EXPECT_EQ(c[c.size() - 2].at("choices").as_array().at(0).at("finish_reason"), "length");
    }
  }
}

TEST(StreamWriter, NeverSplitsAUtf8CharacterAcrossEvents) {
  StreamWriter w(chat_identity());
  std::string out;
  std::string text = "h\xC3\xA9llo \xE4\xB8\x96 \xF0\x9F\x99\x82";  // héllo 世 🙂
  for (char ch : text) w.on_event(TextDelta{0, std::string(1, ch)}, out);
  w.on_event(Finish{0, FinishReason::kStop}, out);
  w.finish(out);
  std::string joined;
  for (auto& ch : chunks(payloads(out))) {
    auto& delta = ch.at("choices").as_array().at(0).at("delta").as_object();
    if (auto* c = delta.if_contains("content")) {
      std::string piece = c->as_string().c_str();
      EXPECT_EQ(utf8_complete_prefix(piece), piece.size()) << "split character in " << piece;
      joined += piece;
    }
  }
  EXPECT_EQ(joined, text);
}

TEST(StreamWriter, ToolCallIdTypeNameOnceAndIndexAlways) {
  StreamWriter w(chat_identity());
  std::string out;
  w.on_event(ToolCallDelta{0, 5, "call_1", "get_weather", ""}, out);
  w.on_event(ToolCallDelta{0, 5, "call_1", "get_weather", "{\"city\":"}, out);  // engine repeats id and name
  w.on_event(ToolCallDelta{0, 5, "", "", "\"Paris\"}"}, out);
  w.on_event(ToolCallDelta{0, 9, "", "lookup", "{}"}, out);  // no id: one is made up
  w.on_event(Finish{0, FinishReason::kStop}, out);
  w.finish(out);
  int ids = 0, names = 0;
  std::map<int64_t, std::string> args;
  std::string finish;
  for (auto& ch : chunks(payloads(out))) {
    auto& choice = ch.at("choices").as_array().at(0).as_object();
    if (!choice.at("finish_reason").is_null()) finish = choice.at("finish_reason").as_string().c_str();
    auto* calls = choice.at("delta").as_object().if_contains("tool_calls");
    if (!calls) continue;
    for (auto& c : calls->as_array()) {
      auto& call = c.as_object();
      ASSERT_TRUE(call.contains("index"));
      ASSERT_TRUE(call.contains("function"));
      if (call.contains("id")) {
        ++ids;
        EXPECT_EQ(call.at("type"), "function");
        EXPECT_FALSE(call.at("id").as_string().empty());
      }
      if (call.at("function").as_object().contains("name")) ++names;
      args[call.at("index").as_int64()] += call.at("function").at("arguments").as_string().c_str();
    }
  }
  EXPECT_EQ(ids, 2);
  EXPECT_EQ(names, 2);
  EXPECT_EQ(args[0], "{\"city\":\"Paris\"}");  // engine index 5 became 0, 9 became 1
  EXPECT_EQ(args[1], "{}");
  EXPECT_EQ(finish, "tool_calls");
}

// Found by fuzz/engine_stream.cpp: a tool call's id and name went out as the engine sent them, so an engine's
// invalid UTF-8 there made the client's chunk (and the non-streaming response) invalid JSON.
TEST(StreamWriter, AToolCallNameOrIdThatIsNotUtf8IsRepaired) {
  StreamWriter w(chat_identity());
  ResponseAggregator a(chat_identity());
  std::string out;
  for (const StreamEvent& e : {StreamEvent{ToolCallDelta{0, 0, "call_\xC3", "get_weathe\xFF", "{}"}},
                               StreamEvent{Finish{0, FinishReason::kToolCalls}}}) {
    w.on_event(e, out);
    a.on_event(e);
  }
  w.finish(out);
  auto c = chunks(payloads(out));  // json::parse is strict: it throws on invalid UTF-8
  const auto& call = c.at(1).at("choices").at(0).at("delta").at("tool_calls").at(0);
  EXPECT_EQ(call.at("id"), "call_\xEF\xBF\xBD");
  EXPECT_EQ(call.at("function").at("name"), "get_weathe\xEF\xBF\xBD");
  auto whole = json::parse(json::serialize(a.result()));
  EXPECT_EQ(whole.at("choices").at(0).at("message").at("tool_calls").at(0).at("function").at("name"),
            "get_weathe\xEF\xBF\xBD");
}

TEST(StreamWriter, ReasoningUnderConfiguredName) {
  auto id = chat_identity();
  id.reasoning_field = "reasoning";
  StreamWriter w(id);
  std::string out;
  w.on_event(ReasoningDelta{0, "think"}, out);
  w.on_event(TextDelta{0, "answer"}, out);
  w.finish(out);
  auto c = chunks(payloads(out));
  EXPECT_EQ(c[1].at("choices").as_array().at(0).at("delta").at("reasoning"), "think");
  EXPECT_EQ(c[2].at("choices").as_array().at(0).at("delta").at("content"), "answer");
}

TEST(StreamWriter, ErrorAfterFirstByteIsInBandThenDone) {
  StreamWriter w(chat_identity(true));
  std::string out;
  w.on_event(TextDelta{0, "par"}, out);
  w.on_event(StreamError{ApiError::server(502, "engine died")}, out);
  w.finish(out);  // no effect once ended
  auto p = payloads(out);
  ASSERT_GE(p.size(), 3u);
  EXPECT_EQ(p.back(), "[DONE]");
  auto err = json::parse(p[p.size() - 2]).as_object();
  EXPECT_EQ(err.at("error").at("message"), "engine died");
  EXPECT_EQ(err.at("error").at("type"), "server_error");
  EXPECT_TRUE(err.at("error").at("param").is_null());
}

TEST(StreamWriter, ChoicesAppearInAscendingOrderWithRoles) {
  auto id = chat_identity();
  id.n = 2;
  StreamWriter w(id);
  std::string out;
  w.on_event(TextDelta{1, "b"}, out);
  w.on_event(TextDelta{0, "a"}, out);
  w.finish(out);
  auto c = chunks(payloads(out));
  EXPECT_EQ(c[0].at("choices").as_array().at(0).at("index"), 0);
  EXPECT_EQ(c[0].at("choices").as_array().at(0).at("delta").at("role"), "assistant");
  EXPECT_EQ(c[1].at("choices").as_array().at(0).at("index"), 1);
  int finishes = 0;
  for (auto& ch : c) finishes += !ch.at("choices").as_array().at(0).at("finish_reason").is_null();
  EXPECT_EQ(finishes, 2);
}

// An engine is not trusted: an index it makes up must not size anything (audit M1).
TEST(StreamWriter, ImpossibleChoiceIndexEndsTheStreamWithAMalformedChunkError) {
  for (int index : {2000000000, 1, -1}) {
    StreamWriter w(chat_identity());
    std::string out;
    w.on_event(TextDelta{0, "ok"}, out);
    w.on_event(TextDelta{index, "x"}, out);
    EXPECT_TRUE(w.ended());
    EXPECT_LT(out.size(), 2000u);
    auto p = payloads(out);
    ASSERT_GE(p.size(), 3u);
    EXPECT_EQ(p.back(), "[DONE]");
    auto err = json::parse(p[p.size() - 2]).as_object();
    EXPECT_NE(std::string(err.at("error").at("message").as_string()).find("malformed chunk"),
              std::string::npos)
        << index;
    EXPECT_EQ(err.at("error").at("type"), "server_error");
  }
}

TEST(StreamWriter, ChoiceIndexBelowNIsAccepted) {
  auto id = chat_identity();
  id.n = 3;
  StreamWriter w(id);
  std::string out;
  w.on_event(TextDelta{2, "c"}, out);
  EXPECT_FALSE(w.ended());
  w.on_event(Finish{3, FinishReason::kStop}, out);
  EXPECT_TRUE(w.ended());
}

TEST(StreamWriter, ImpossibleToolCallIndexIsMalformed) {
  StreamWriter w(chat_identity());
  std::string out;
  w.on_event(ToolCallDelta{0, kMaxToolCallIndex - 1, "call_1", "f", "{}"}, out);
  EXPECT_FALSE(w.ended());
  w.on_event(ToolCallDelta{0, 2000000000, "", "f", "{}"}, out);
  EXPECT_TRUE(w.ended());
  EXPECT_NE(out.find("tool call index 2000000000"), std::string::npos);
}

TEST(StreamWriter, TextCompletionShape) {
  auto id = chat_identity(true);
  id.kind = GenerationKind::kCompletion;
  id.id = "cmpl-x";
  StreamWriter w(id);
  std::string out;
  w.on_event(TextDelta{0, "abc"}, out);
  w.on_event(Finish{0, FinishReason::kLength}, out);
  w.finish(out);
  auto c = chunks(payloads(out));
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].at("object"), "text_completion");
  EXPECT_EQ(c[0].at("choices").as_array().at(0).at("text"), "abc");
  EXPECT_EQ(c[1].at("choices").as_array().at(0).at("finish_reason"), "length");
  EXPECT_TRUE(c[2].at("choices").as_array().empty());
}

// The writer's chunks are written as text: these are the bytes boost::json::serialize gives for the chunk
// objects the wire contract describes, member order included.
TEST(StreamWriter, BytesAreTheSerializedChunks) {
  auto id = chat_identity(true);
  id.model = "ti\"ny";
  id.reasoning_field = "reasoning";
  StreamWriter w(id);
  std::string out;
  w.on_event(ReasoningDelta{0, "hm"}, out);
  w.on_event(TextDelta{0, "a\nb"}, out);
  w.on_event(EncodedText{0, false, "\"\\u00e9\""}, out);
  w.on_event(ToolCallDelta{0, 0, "call_1", "f", "{}"}, out);
  w.on_event(Usage{3, 2}, out);
  w.finish(out);
  const std::string head =
      "data: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
      "\"model\":\"ti\\\"ny\",\"choices\":[";
  const std::string tail = ",\"logprobs\":null,\"finish_reason\":null}]}\n\n";
  EXPECT_EQ(out,
            head + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}" + tail +  //
                head + "{\"index\":0,\"delta\":{\"reasoning\":\"hm\"}" + tail +                 //
                head + "{\"index\":0,\"delta\":{\"content\":\"a\\nb\"}" + tail +                //
                head + "{\"index\":0,\"delta\":{\"content\":\"\\u00e9\"}" + tail +              //
                head +
                "{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":"
                "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}" +
                tail +  //
                head + "{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}]}\n\n" +
                head + "],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n" +
                "data: [DONE]\n\n");
}

TEST(StreamWriter, EncodedTextAfterHalfACharacterGoesThroughTheCarryLikeText) {
  // Half a character held back, then text that does not complete it: the same bytes either way.
  StreamWriter encoded(chat_identity()), decoded(chat_identity());
  std::string a, b;
  encoded.on_event(TextDelta{0, "lo \xF0\x9F"}, a);
  encoded.on_event(EncodedText{0, false, "\"\\u00e9!\""}, a);
  encoded.finish(a);
  decoded.on_event(TextDelta{0, "lo \xF0\x9F"}, b);
  decoded.on_event(TextDelta{0, "\xC3\xA9!"}, b);
  decoded.finish(b);
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("\xEF\xBF\xBD"), std::string::npos);  // the cut character became U+FFFD
}

TEST(ResponseAggregator, EncodedTextIsDecoded) {
  ResponseAggregator a(chat_identity());
  a.on_event(EncodedText{0, true, "\"h\\u00e9\""});
  a.on_event(EncodedText{0, false, "\"\\ud83d\\ude42\""});
  auto r = a.result();
  auto& msg = r.at("choices").as_array().at(0).at("message").as_object();
  EXPECT_EQ(msg.at("content"), "\xF0\x9F\x99\x82");
  EXPECT_EQ(msg.at("reasoning_content"), "h\xC3\xA9");
}

TEST(ResponseAggregator, ChatCompletionWithUsageAndTools) {
  ResponseAggregator a(chat_identity());
  a.on_event(ReasoningDelta{0, "hmm"});
  a.on_event(TextDelta{0, "He"});
  a.on_event(TextDelta{0, "y"});
  a.on_event(Finish{0, FinishReason::kStop});
  a.on_event(Usage{4, 2});
  auto r = a.result();
  EXPECT_EQ(r.at("object"), "chat.completion");
  auto& msg = r.at("choices").as_array().at(0).at("message").as_object();
  EXPECT_EQ(msg.at("role"), "assistant");
  EXPECT_EQ(msg.at("content"), "Hey");
  EXPECT_EQ(msg.at("reasoning_content"), "hmm");
  EXPECT_TRUE(msg.at("refusal").is_null());
  EXPECT_EQ(r.at("choices").as_array().at(0).at("finish_reason"), "stop");
  EXPECT_EQ(r.at("usage").at("total_tokens"), 6);

  ResponseAggregator t(chat_identity());
  t.on_event(ToolCallDelta{0, 0, "", "f", "{\"a\""});
  t.on_event(ToolCallDelta{0, 0, "", "", ":1}"});
  auto tr = t.result();
  auto& tmsg = tr.at("choices").as_array().at(0).at("message").as_object();
  EXPECT_TRUE(tmsg.at("content").is_null());
  EXPECT_EQ(tmsg.at("tool_calls").as_array().at(0).at("function").at("arguments"), "{\"a\":1}");
  EXPECT_FALSE(tmsg.at("tool_calls").as_array().at(0).at("id").as_string().empty());
  EXPECT_EQ(tr.at("choices").as_array().at(0).at("finish_reason"), "tool_calls");
}

TEST(ResponseAggregator, StreamErrorIsReported) {
  ResponseAggregator a(chat_identity());
  a.on_event(TextDelta{0, "x"});
  EXPECT_FALSE(a.on_event(StreamError{ApiError::server(502, "boom")}));
  ASSERT_TRUE(a.error());
  EXPECT_EQ(a.error()->status, 502);
}

TEST(ResponseAggregator, ImpossibleIndexesAreAnError) {
  ResponseAggregator a(chat_identity());
  EXPECT_TRUE(a.on_event(TextDelta{0, "x"}));
  EXPECT_FALSE(a.on_event(TextDelta{2000000000, "y"}));
  ASSERT_TRUE(a.error());
  EXPECT_EQ(a.error()->status, 502);

  ResponseAggregator t(chat_identity());
  EXPECT_FALSE(t.on_event(ToolCallDelta{0, 2000000000, "", "f", "{}"}));
  ASSERT_TRUE(t.error());
  EXPECT_NE(t.error()->message.find("tool call index"), std::string::npos);
}

TEST(ErrorBody, HasAllFourKeys) {
  auto v = json::parse(error_body(ApiError::invalid_request("bad", "model"))).as_object();
  auto& e = v.at("error").as_object();
  EXPECT_EQ(e.at("message"), "bad");
  EXPECT_EQ(e.at("type"), "invalid_request_error");
  EXPECT_EQ(e.at("param"), "model");
  EXPECT_TRUE(e.at("code").is_null());
}

}  // namespace
}  // namespace quorum::wire
