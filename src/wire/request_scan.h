// A fast reading of a generation request's body (pure): one pass over the client's JSON text that finds what
// the node needs to route and forward it (model, stream, stream options, n, max tokens) and where each
// top-level member lies, without building a tree, so that the body can go to an OpenAI-compatible engine as
// the client's bytes with only the node's fields rewritten.
//
// The contract is one-sided: the scanner answers only for a body it is sure request.cpp's full parse
// accepts, with the same fields; for anything else (any error, and what it does not try to follow: escapes
// in keys or in the model's name, duplicate members, numbers near a double's range, token-id prompts,
// nesting deeper than the parser allows...) it answers nothing and the full parse decides, error messages
// and all. The `request` fuzz harness holds it to that on every input.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace quorum::wire {

// One top-level member of the body: its key as written (quotes included) and its value, as offsets into the
// text.
struct ScannedMember {
  uint32_t key_begin = 0;
  uint32_t key_end = 0;
  uint32_t value_begin = 0;
  uint32_t value_end = 0;
};

struct ScannedGeneration {
  std::string_view model;  // into the text: the scanner takes only a model written without escapes
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage, only when streaming
  int n = 1;
  std::optional<int64_t> max_tokens;   // max_completion_tokens, else max_tokens
  std::vector<ScannedMember> members;  // in the text's order, no key twice
};

// `chat`: a /v1/chat/completions body (messages), else /v1/completions (prompt). Bodies over 4 GiB are not
// scanned.
std::optional<ScannedGeneration> scan_generation_request(std::string_view body, bool chat);

}  // namespace quorum::wire
