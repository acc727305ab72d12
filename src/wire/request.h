// Client request bodies: parsing, validation and normalization (pure).
//
// Validation is strict about the fields the node itself relies on and about types a client could get wrong,
// and lenient about everything else: unknown fields (engine extensions such as top_k, min_p,
// chat_template_kwargs) are kept in `body` and forwarded untouched.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace quorum::wire {

enum class GenerationKind { kChat, kCompletion };

// `n` is at most this; choices of a response are numbered 0 .. kMaxChoices - 1.
inline constexpr int64_t kMaxChoices = 128;

struct GenerationRequest {
  GenerationKind kind = GenerationKind::kChat;
  std::string model;
  bool stream = false;         // decided by the body's "stream" only
  bool include_usage = false;  // stream_options.include_usage
  int n = 1;
  std::optional<int64_t> max_tokens;  // max_completion_tokens, else max_tokens
  boost::json::object body;           // the validated client body, unknown fields intact
};

struct EmbeddingRequest {
  std::string model;
  bool base64 = false;  // encoding_format == "base64"
  boost::json::object body;
};

// Parse and validate. Errors are 400 invalid_request_error with `param` naming the field at fault
// (malformed JSON: param null, message says where parsing failed). Integer fields (n, max_tokens,
// max_completion_tokens, seed, token ids) are read with json_integer(): a fraction is a type error, and an
// integer beyond the field's range (int64 at most: 1e300, 1e19, -1e19) is a 400 "integer above maximum
// value".
Result<GenerationRequest> parse_chat_request(std::string_view body);
Result<GenerationRequest> parse_completion_request(std::string_view body);
Result<EmbeddingRequest> parse_embedding_request(std::string_view body);

// "a string", "an integer", "null"...: how error messages name the kind of a JSON value.
std::string json_kind_name(const boost::json::value& v);

// Parses a JSON object body; 400 with a clear message when it is not valid JSON or not an object, or when a
// number in it is beyond a double's range (1e400: param names where, see find_non_finite).
Result<boost::json::object> parse_json_object(std::string_view body);

// The body to send to an OpenAI-compatible engine: always streaming with include_usage (the node meters
// usage and decides itself what the client sees), `model` replaced by the engine's name for it, and
// max_tokens / max_completion_tokens both set when the client gave either.
boost::json::object openai_upstream_body(const GenerationRequest& request, std::string_view upstream_model);
// The same body as JSON text, byte for byte what boost::json::serialize(openai_upstream_body(...)) gives,
// written from the client's body without copying it into a new object first (a long conversation is
// copied once, as text, not as a tree and then as text).
std::string openai_upstream_json(const GenerationRequest& request, std::string_view upstream_model);

}  // namespace quorum::wire
