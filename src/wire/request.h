// Client request bodies: parsing, validation and normalization (pure).
//
// Validation is strict about the fields the node itself relies on and about types a client could get wrong,
// and lenient about everything else: unknown fields (engine extensions such as top_k, min_p,
// chat_template_kwargs) are kept in `body` and forwarded untouched.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "wire/request_scan.h"

namespace quorum::wire {

enum class GenerationKind { kChat, kCompletion };

// `n` is at most this; choices of a response are numbered 0 .. kMaxChoices - 1.
inline constexpr int64_t kMaxChoices = 128;

// A generation request's body: the client's text as it came when the scanner read it (request_scan.h), its
// tree made on first use; or only the tree, when the full parse read it.
struct ClientBody {
  std::string text;                    // empty when the body came as a tree
  std::vector<ScannedMember> members;  // the text's top-level members
  mutable std::once_flag parsed;
  mutable boost::json::object tree;
};

struct GenerationRequest {
  GenerationKind kind = GenerationKind::kChat;
  std::string model;
  bool stream = false;         // decided by the body's "stream" only
  bool include_usage = false;  // stream_options.include_usage
  int n = 1;
  std::optional<int64_t> max_tokens;  // max_completion_tokens, else max_tokens

  // The validated client body as a tree, unknown fields intact (an empty object when none was set). A body
  // read by the scanner is parsed on the first call, once, whichever thread calls: an engine that takes the
  // client's bytes (OpenAI-compatible ones) never makes it.
  const boost::json::object& body() const;
  void set_body(boost::json::object tree);
  // The client's body as text with its top-level members, when the scanner read it; null otherwise.
  const ClientBody* scanned() const { return body_ && !body_->text.empty() ? body_.get() : nullptr; }

  // Shared by the copies of a request (a try that names the model otherwise copies the request, not the
  // body).
  std::shared_ptr<const ClientBody> body_;
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
//
// A body the scanner reads (request_scan.h: the common case) is kept as the client's text and forwarded as
// it; anything else goes through the full parse into a tree, which alone words the errors.
Result<GenerationRequest> parse_generation_request(GenerationKind kind, std::string body);
Result<GenerationRequest> parse_chat_request(std::string_view body);
Result<GenerationRequest> parse_completion_request(std::string_view body);
// The full parse alone, never the scanner: the reference the scanner is held to (tests, fuzzing).
Result<GenerationRequest> parse_generation_tree(GenerationKind kind, std::string_view body);
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
// The same body as JSON text. For a body the scanner read: the client's members as the client wrote them
// (no space between them), the node's values in place of the client's for the keys it sets, its other keys
// after them; the same JSON as openai_upstream_body's. For a tree: byte for byte what
// boost::json::serialize(openai_upstream_body(...)) gives, written without copying the tree first.
std::string openai_upstream_json(const GenerationRequest& request, std::string_view upstream_model);

}  // namespace quorum::wire
