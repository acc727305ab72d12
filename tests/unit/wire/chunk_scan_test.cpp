// The pass-through scanner: the chunks real engines and peer nodes send take it, with the same meaning the
// full parser gives them; anything it cannot vouch for is left to the full parser.
#include "wire/chunk_scan.h"

#include <gtest/gtest.h>

#include "wire/json_string.h"
#include "wire/openai_dialect.h"

namespace quorum::wire {
namespace {

// The events the full parser gives the chunk.
std::vector<StreamEvent> parsed(std::string_view data) {
  std::vector<StreamEvent> out;
  parse_openai_chunk(data, out, "engine");
  return out;
}

TEST(ChunkScan, LlamaServerContentChunkKeepsTheEnginesEncoding) {
  std::string_view chunk =
      R"({"choices":[{"finish_reason":null,"index":0,"delta":{"content":" w\u00e9\n"}}],)"
      R"("created":1753357673,"id":"chatcmpl-x1","model":"tiny","system_fingerprint":"b6123",)"
      R"("object":"chat.completion.chunk","timings":{"predicted_per_second":412.5}})";
  auto plain = scan_plain_chunk(chunk);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->choice, 0);
  EXPECT_EQ(plain->text, PlainChunk::Text::kContent);
  EXPECT_EQ(plain->token, R"(" w\u00e9\n")");
  EXPECT_FALSE(plain->finish);
  auto full = parsed(chunk);
  ASSERT_EQ(full.size(), 1u);
  EXPECT_EQ(std::get<TextDelta>(full[0]).text, decode_json_string(plain->token));
}

TEST(ChunkScan, RoleChunkAndEmptyContentHaveNoEvents) {
  for (std::string_view chunk :
       {R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null},"finish_reason":null}]})",
        R"({"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,)"
        R"("finish_reason":null}]})",
        R"({"choices":[]})", R"({})"}) {
    auto plain = scan_plain_chunk(chunk);
    ASSERT_TRUE(plain) << chunk;
    EXPECT_EQ(plain->text, PlainChunk::Text::kNone) << chunk;
    EXPECT_FALSE(plain->finish) << chunk;
    EXPECT_TRUE(parsed(chunk).empty()) << chunk;
  }
}

TEST(ChunkScan, APeerNodesFinishChunkAndACompletionsTextChunk) {
  auto finish = scan_plain_chunk(
      R"({"id":"chatcmpl-a","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,)"
      R"("delta":{},"logprobs":null,"finish_reason":"length"}]})");
  ASSERT_TRUE(finish);
  EXPECT_EQ(finish->text, PlainChunk::Text::kNone);
  EXPECT_EQ(finish->finish, FinishReason::kLength);

  auto text = scan_plain_chunk(R"({"choices":[{"index":2,"text":"abc","finish_reason":"stop"}]})");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->choice, 2);
  EXPECT_EQ(text->text, PlainChunk::Text::kContent);
  EXPECT_EQ(text->token, "\"abc\"");
  EXPECT_EQ(text->finish, FinishReason::kStop);
}

TEST(ChunkScan, ReasoningUnderAnyOfItsNamesTheFirstNonEmptyWins) {
  auto r =
      scan_plain_chunk(R"({"choices":[{"index":0,"delta":{"reasoning_content":null,"reasoning":"hm"}}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, PlainChunk::Text::kReasoning);
  EXPECT_EQ(r->token, "\"hm\"");
  auto both =
      scan_plain_chunk(R"({"choices":[{"index":0,"delta":{"reasoning_content":"a","thinking":"b"}}]})");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->token, "\"a\"");
}

TEST(ChunkScan, ReadsTheUsageChunkThatEndsAStream) {
  // llama-server's: empty choices, the counts, its timings and the identity.
  auto u =
      scan_plain_chunk(R"({"choices":[],"created":1,"id":"x","model":"m","object":"chat.completion.chunk",)"
                       R"("usage":{"completion_tokens":7,"prompt_tokens":5,"total_tokens":12},)"
                       R"("timings":{"prompt_n":5,"prompt_ms":1.25,"predicted_per_second":812.5}})");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->text, PlainChunk::Text::kNone);
  EXPECT_FALSE(u->finish);
  ASSERT_TRUE(u->usage);
  EXPECT_EQ(u->usage->prompt_tokens, 5);
  EXPECT_EQ(u->usage->completion_tokens, 7);
  EXPECT_FALSE(u->usage->reasoning_tokens);
  EXPECT_FALSE(u->usage->cached_tokens);
  // vLLM's and OpenAI's details; null counts and details read as absent.
  auto d = scan_plain_chunk(
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":null,)"
      R"("completion_tokens":3,"completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":0},)"
      R"("prompt_tokens_details":null}})");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->finish, FinishReason::kStop);
  ASSERT_TRUE(d->usage);
  EXPECT_EQ(d->usage->prompt_tokens, 0);
  EXPECT_EQ(d->usage->completion_tokens, 3);
  EXPECT_EQ(d->usage->reasoning_tokens, 2);
  EXPECT_FALSE(d->usage->cached_tokens);
  auto none = scan_plain_chunk(R"({"choices":[],"usage":null})");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->usage);
}

TEST(ChunkScan, RefusesWhatItCannotVouchFor) {
  for (std::string_view chunk : {
           R"({"choices":[{"index":0,"delta":{"content":"\ud800"}}]})",              // lone surrogate
           "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo \xF0\x9F\"}}]}",  // cut character
           R"({"choices":[{"index":0,"delta":{"con\u0074ent":"x"}}]})",              // escaped key
           R"({"choices":[{"index":0,"delta":{"content":"a","content":"b"}}]})",     // repeated key
           R"({"choices":[{"index":0,"delta":{"reasoning":"a","content":"b"}}]})",   // two texts
           R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0}]}}]})",
           R"({"choices":[{"index":0},{"index":1}]})",
           R"({"choices":[],"usage":{"prompt_tokens":1.0,"completion_tokens":2}})",
           R"({"choices":[],"usage":{"prompt_tokens":"1","completion_tokens":2}})",
           R"({"choices":[],"usage":{"prompt_tokens":1,"prompt_tokens":2}})",
           R"({"choices":[],"usage":{"prompt_tokens":1234567890}})",
           R"({"choices":[],"usage":{"completion_tokens_details":[1]}})",
           R"({"choices":[],"usage":{"prompt_tokens_details":{"cached_tokens":-1}}})",
           R"({"choices":[],"usage":[]})",
           R"({"error":{"message":"boom"}})",
           R"({"choices":[{"index":0,"finish_reason":"error"}]})",
           R"({"choices":[{"index":128,"delta":{"content":"x"}}]})",
           R"({"choices":[{"index":-1,"delta":{"content":"x"}}]})",
           R"({"choices":[{"index":1.0,"delta":{"content":"x"}}]})",
           R"({"created":1e400,"choices":[]})",
           R"({"choices":[{"index":0,"delta":{"content":"x"}}]} trailing)",
           R"({"choices":[{"index":0,"delta":{"content":"x"}}],})",
           R"([1,2])",
       }) {
    EXPECT_FALSE(scan_plain_chunk(chunk)) << chunk;
  }
}

// A llama-server token chunk with `token` as its content.
std::string llama_chunk(std::string_view token, std::string_view created = "1753357673") {
  return R"({"choices":[{"finish_reason":null,"index":0,"delta":{"content":)" + std::string(token) +
         R"(}}],"created":)" + std::string(created) +
         R"(,"id":"chatcmpl-x1","model":"tiny","system_fingerprint":"b6123","object":"chat.completion.chunk"})";
}

// What StreamChunkScanner answered is what scan_plain_chunk() answers for the same chunk.
void expect_same_answer(StreamChunkScanner& scanner, const std::string& chunk) {
  auto got = scanner.scan(chunk);
  auto want = scan_plain_chunk(chunk);
  ASSERT_EQ(got.has_value(), want.has_value()) << chunk;
  if (!got) return;
  EXPECT_EQ(got->choice, want->choice) << chunk;
  EXPECT_EQ(got->text, want->text) << chunk;
  EXPECT_EQ(got->token, want->token) << chunk;
  EXPECT_EQ(got->finish, want->finish) << chunk;
  EXPECT_EQ(got->usage.has_value(), want->usage.has_value()) << chunk;
}

TEST(StreamChunkScanner, TokensAfterTheFirstAreReadByComparingTheBytesAroundTheText) {
  StreamChunkScanner scanner;
  expect_same_answer(
      scanner,
      R"({"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}]})");
  for (std::string_view token : {R"(" the")", R"(" quick")", R"(" w\u00e9\n")", R"("\"")", R"("é")"}) {
    expect_same_answer(scanner, llama_chunk(token));
  }
  EXPECT_EQ(scanner.compared(), 4u);                 // all but the first text
  const std::string fox = llama_chunk(R"(" fox")");  // the token points into it
  auto plain = scanner.scan(fox);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->token, R"(" fox")");
  EXPECT_EQ(plain->text, PlainChunk::Text::kContent);
  EXPECT_EQ(scanner.compared(), 5u);
}

TEST(StreamChunkScanner, AnythingButOneCleanStringInTheTextsPlaceIsScannedInFull) {
  StreamChunkScanner scanner;
  expect_same_answer(scanner, llama_chunk(R"(" a")"));
  for (std::string_view token : {
           R"("")",                 // empty: not a text
           R"(null)",               // not a string
           R"("a" , "b")",          // two tokens
           R"("a","content":"b")",  // a repeated key
           R"("a\")",               // the closing quote escaped: the string runs on into what follows
           R"("a\q")",              // a malformed escape
           "\"a\x01\"",             // a raw control byte
           "\"\xff\"",              // not UTF-8
           R"("\ud800")",           // a lone surrogate
       }) {
    expect_same_answer(scanner, llama_chunk(token));
  }
  EXPECT_EQ(scanner.compared(), 0u);
  // Another second in `created`: a new shape, remembered once scanned.
  expect_same_answer(scanner, llama_chunk(R"(" b")", "1753357674"));
  expect_same_answer(scanner, llama_chunk(R"(" c")", "1753357674"));
  EXPECT_EQ(scanner.compared(), 1u);
}

TEST(StreamChunkScanner, AFinishOrUsageIsNeverTakenForTheShape) {
  StreamChunkScanner scanner;
  const std::string finished =
      R"({"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}],"usage":null})";
  expect_same_answer(scanner, finished);
  expect_same_answer(scanner, finished);
  EXPECT_EQ(scanner.compared(), 0u);
  // Reasoning keeps its kind; a content chunk of another shape does not pass for it.
  expect_same_answer(scanner, R"({"choices":[{"index":1,"delta":{"reasoning_content":"hm"}}]})");
  expect_same_answer(scanner, R"({"choices":[{"index":1,"delta":{"reasoning_content":"ok"}}]})");
  expect_same_answer(scanner, R"({"choices":[{"index":1,"delta":{"content":"ok"}}]})");
  EXPECT_EQ(scanner.compared(), 1u);
}

}  // namespace
}  // namespace quorum::wire
