// Ollama's native API (openai-wire.md §8.1), both directions: OpenAI requests become /api/chat,
// /api/generate and /api/embed bodies; NDJSON lines become normalized events. Pure code.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "wire/events.h"
#include "wire/request.h"

namespace quorum::wire {

// POST /api/chat body. Roles: developer becomes system; content parts are flattened to text and data-URI
// images to `images`; assistant tool-call arguments (JSON strings) become objects; a tool message gets its
// `tool_name` from the assistant call with the same id. Sampling fields go to `options` (max_tokens ->
// num_predict, stop string -> [stop]); response_format -> format; reasoning_effort -> think.
// Fails with 400 when a message cannot be expressed (e.g. an http image URL, which Ollama does not fetch).
Result<boost::json::object> ollama_chat_body(const GenerationRequest& request, std::string_view model);
// POST /api/generate body for a text completion (one prompt string only; 400 otherwise).
Result<boost::json::object> ollama_generate_body(const GenerationRequest& request, std::string_view model);
// POST /api/embed body: {model, input}.
boost::json::object ollama_embed_body(const EmbeddingRequest& request, std::string_view model);
// /api/embed response -> OpenAI embeddings object (float arrays); 502 for any other body, one with a number
// beyond a double's range included (find_non_finite).
Result<boost::json::object> ollama_embeddings_response(std::string_view body, std::string_view model);

// Reads the NDJSON lines of a /api/chat or /api/generate stream. Per line: thinking -> ReasoningDelta,
// content (or `response`) -> TextDelta, each tool call -> one whole ToolCallDelta (arguments serialized),
// done -> Finish (stop becomes tool_calls when calls were made) then Usage; {"error": "..."} -> StreamError.
class OllamaStreamParser {
 public:
  // Returns false once the stream is over (done or error).
  bool feed(std::string_view line, std::vector<StreamEvent>& out);
  bool done() const { return done_; }

 private:
  int tool_calls_ = 0;
  bool done_ = false;
};

struct OllamaModel {
  std::string name;
  int64_t modified = 0;  // Unix seconds
};
// GET /api/tags body -> models.
Result<std::vector<OllamaModel>> parse_ollama_tags(std::string_view body);
// GET /api/ps body -> names of the loaded models.
std::vector<std::string> parse_ollama_ps(std::string_view body);
// A non-2xx answer ({"error":"..."}) -> the client's error: 404 stays model_not_found, 4xx stays, 5xx -> 502.
ApiError ollama_error(int status, std::string_view body, std::string_view engine_name);
// RFC 3339 (2025-05-04T17:37:44.706015396-07:00) -> Unix seconds; 0 when unparsable.
int64_t parse_rfc3339(std::string_view text);

}  // namespace quorum::wire
