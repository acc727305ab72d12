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

#include <cstdint>
#include <optional>
#include <string>
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

// scan_plain_chunk() for the chunks of one stream, in order. An engine writes every token of a reply in the
// same bytes but for the text (llama.cpp, vLLM, Ollama, and a peer node all do: the same id, created, model
// and keys in the same order), so this keeps the last chunk that was a text and nothing else, and reads a
// chunk that is those bytes with only the text token changed by comparing the bytes around the text instead
// of scanning them. The answers are scan_plain_chunk()'s, always:
//  - JSON is read token by token, and a string token is read the same whatever it holds; scan_plain_chunk()
//    looks at no byte beyond the token it is on. So prefix + T2 + suffix scans as prefix + T1 + suffix did,
//    with T2 in T1's place, whenever T2 is one string token: a quote, then anything but a quote, a backslash
//    or a control byte, or a backslash and the byte after it, then the closing quote at its end;
//  - T2 is then the chunk's text exactly when T1 was and T2 is not `""` (the only test of the text's
//    content besides is_clean_json_string(), which is made again on T2).
// Anything else (another shape, an empty or unclean text, a chunk with a finish or usage) is scanned in full
// and becomes the shape to compare with when it is a text alone. The `chunk_scan` fuzz harness checks the
// equivalence. Holds one chunk's bytes (up to kMaxShapeBytes) for as long as the stream lasts.
class StreamChunkScanner {
 public:
  static constexpr size_t kMaxShapeBytes = 1024;

  std::optional<PlainChunk> scan(std::string_view data);
  // Chunks read by comparing rather than scanning, so far.
  uint64_t compared() const { return compared_; }

 private:
  // `data` as shape_ with another text token; fills `chunk` then.
  bool same_shape(std::string_view data, PlainChunk& chunk) const;
  void remember(std::string_view data, const PlainChunk& chunk);

  std::string shape_;                       // the last chunk that was a text alone; empty: none
  uint32_t text_begin_ = 0, text_end_ = 0;  // its text token's place in shape_
  int choice_ = 0;
  PlainChunk::Text text_ = PlainChunk::Text::kNone;
  uint64_t compared_ = 0;
};

}  // namespace quorum::wire
