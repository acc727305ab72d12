// The pass-through fast path for OpenAI-compatible stream chunks: reads the common chunk (one choice, a piece
// of text and/or a finish; or the usage chunk that ends a stream) without building a JSON value, so that its
// text can reach the client as the engine encoded it. Pure code.
//
// The contract is equivalence: whenever scan_plain_chunk() accepts a chunk, parse_openai_chunk() would give
// exactly the events it describes (the same choice, the same text once decoded, the same finish, then the
// same usage), and no error. Anything it is not sure of (an error member, a usage count that is not a plain
// integer of at most nine digits or null, tool calls, several choices or texts, a key spelled with escapes, a
// repeated key it reads, a number it cannot vouch for, text that is not clean UTF-8 with well-formed
// escapes, nesting deeper than 16) is refused, and the caller takes the full path. The fuzz harness
// `chunk_scan` checks the equivalence.
#pragma once

#include <optional>
#include <string_view>

#include "wire/events.h"

namespace quorum::wire {

struct PlainChunk {
  int choice = 0;
  // The one text of the chunk, if any: a JSON string token (quotes included) for which is_clean_json_string()
  // holds, never `""`.
  enum class Text { kNone, kContent, kReasoning } text = Text::kNone;
  std::string_view token;  // into the scanned data
  std::optional<FinishReason> finish;
  // The usage the engine reported (`usage` an object), after the choice's events.
  std::optional<Usage> usage;
};

// See the header comment. A chunk with no events at all (llama.cpp's role chunk, `"content": null`) is
// accepted with no text and no finish.
std::optional<PlainChunk> scan_plain_chunk(std::string_view data);

}  // namespace quorum::wire
