// The pass-through scanner (wire/chunk_scan.h) against the full parser of the same chunk
// (parse_openai_chunk), and the JSON string helpers it rests on (wire/json_string.h).
//
// Input: one chunk's data, as an engine's `data:` line holds it.
//
// Invariants:
//  - when scan_plain_chunk() accepts the chunk, parse_openai_chunk() gives no error and exactly its events:
//    the text (decoded) as the TextDelta or ReasoningDelta of its choice, then its Finish, then its Usage;
//  - the token it keeps is a clean JSON string that boost::json reads to valid UTF-8;
//  - append_json_string() of any valid text is what boost::json::serialize writes, and reads back to it;
//  - StreamChunkScanner, given the chunk and then the chunk with other bytes in its text's place (some of
//    them one clean string token, so that it compares instead of scanning), answers as scan_plain_chunk().
#include "wire/chunk_scan.h"

#include <boost/json.hpp>

#include "support/harness.h"
#include "wire/json_string.h"
#include "wire/openai_dialect.h"
#include "wire/utf8.h"

namespace json = boost::json;
using namespace quorum::wire;
using quorum::fuzz::valid_utf8;

namespace {

bool same_answer(const std::optional<PlainChunk>& a, const std::optional<PlainChunk>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->choice == b->choice && a->text == b->text && a->token == b->token && a->finish == b->finish &&
         a->usage.has_value() == b->usage.has_value() &&
         (!a->usage || (a->usage->prompt_tokens == b->usage->prompt_tokens &&
                        a->usage->completion_tokens == b->usage->completion_tokens &&
                        a->usage->reasoning_tokens == b->usage->reasoning_tokens &&
                        a->usage->cached_tokens == b->usage->cached_tokens));
}

void check_stream_scanner(std::string_view input, const std::optional<PlainChunk>& plain) {
  StreamChunkScanner scanner;
  FUZZ_CHECK(same_answer(scanner.scan(input), plain), "the stream scanner differs on its first chunk");
  if (!plain || plain->text == PlainChunk::Text::kNone) return;
  const size_t at = static_cast<size_t>(plain->token.data() - input.data());
  const std::string prefix(input.substr(0, at));
  const std::string suffix(input.substr(at + plain->token.size()));
  const std::string_view inside = plain->token.substr(1, plain->token.size() - 2);
  std::string reversed(inside.rbegin(), inside.rend());
  for (const std::string& token : {
           std::string(plain->token),                       // the same again
           "\"" + reversed + "\"",                          // escapes turned around
           "\"" + std::string(input.substr(0, 24)) + "\"",  // any bytes at all
           "\"" + std::string(inside.substr(1)) + "\"",     // one byte fewer: a cut escape or UTF-8
           "\"" + std::string(inside) + "\\\"",             // the closing quote escaped
           std::string("\"\""),                             // empty
       }) {
    const std::string chunk = prefix + token + suffix;
    FUZZ_CHECK(same_answer(scanner.scan(chunk), scan_plain_chunk(chunk)),
               "the stream scanner differs from scan_plain_chunk on: " + chunk.substr(0, 300));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = quorum::fuzz::as_text(data, size);

  std::string text = sanitize_utf8(input);
  std::string encoded;
  append_json_string(encoded, text);
  FUZZ_CHECK(encoded == json::serialize(json::value(text)), "append_json_string differs from boost::json");
  FUZZ_CHECK(is_clean_json_string(encoded) && decode_json_string(encoded) == text);

  auto plain = scan_plain_chunk(input);
  check_stream_scanner(input, plain);
  if (!plain) return 0;
  std::vector<StreamEvent> expected;
  parse_openai_chunk(input, expected, "fuzz-engine");
  std::vector<StreamEvent> got;
  if (plain->text != PlainChunk::Text::kNone) {
    FUZZ_CHECK(is_clean_json_string(plain->token) && plain->token != "\"\"");
    std::string decoded = decode_json_string(plain->token);
    FUZZ_CHECK(valid_utf8(decoded) && !decoded.empty());
    if (plain->text == PlainChunk::Text::kReasoning) {
      got.emplace_back(ReasoningDelta{plain->choice, decoded});
    } else {
      got.emplace_back(TextDelta{plain->choice, decoded});
    }
  }
  if (plain->finish) got.emplace_back(Finish{plain->choice, *plain->finish});
  if (plain->usage) got.emplace_back(*plain->usage);
  FUZZ_CHECK(got.size() == expected.size(),
             "the scanner and the parser disagree on the events of: " + std::string(input.substr(0, 300)));
  for (size_t i = 0; i < got.size(); ++i) {
    FUZZ_CHECK(got[i].index() == expected[i].index(), "different event kinds for: " + std::string(input));
    if (const auto* t = std::get_if<TextDelta>(&got[i])) {
      const auto& e = std::get<TextDelta>(expected[i]);
      FUZZ_CHECK(t->choice == e.choice && t->text == e.text, "different text for: " + std::string(input));
    } else if (const auto* r = std::get_if<ReasoningDelta>(&got[i])) {
      const auto& e = std::get<ReasoningDelta>(expected[i]);
      FUZZ_CHECK(r->choice == e.choice && r->text == e.text,
                 "different reasoning for: " + std::string(input));
    } else if (const auto* f = std::get_if<Finish>(&got[i])) {
      const auto& e = std::get<Finish>(expected[i]);
      FUZZ_CHECK(f->choice == e.choice && f->reason == e.reason,
                 "different finish for: " + std::string(input));
    } else if (const auto* u = std::get_if<Usage>(&got[i])) {
      const auto& e = std::get<Usage>(expected[i]);
      FUZZ_CHECK(u->prompt_tokens == e.prompt_tokens && u->completion_tokens == e.completion_tokens &&
                     u->reasoning_tokens == e.reasoning_tokens && u->cached_tokens == e.cached_tokens,
                 "different usage for: " + std::string(input));
    }
  }
  return 0;
}
