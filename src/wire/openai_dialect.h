// Reading OpenAI-compatible engines (llama-server, vLLM, LM Studio, Ollama's /v1, MLX servers): their
// streamed chunks become normalized events, their error bodies become ApiErrors (openai-wire.md §5, §8).
#pragma once

#include <boost/json/value.hpp>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "wire/events.h"

namespace quorum::wire {

// Parses the `data` of one SSE event from an engine's chat.completion.chunk or text_completion stream and
// appends its events in wire order (reasoning, content, tool calls, finish; usage last). Accepts reasoning as
// `reasoning_content`, `reasoning` or `thinking`; an `{"error":…}` payload or finish_reason "error" becomes a
// StreamError (see engine_stream_error; `engine_name` names the engine in its message when given). A payload
// that is not JSON is a StreamError too.
void parse_openai_chunk(std::string_view data, std::vector<StreamEvent>& out,
                        std::string_view engine_name = {});

// Turns an engine's non-2xx response body into the error the client sees. Knows llama.cpp's
// {"error":{"code":int,…}}, vLLM's flat {"object":"error",…}, Ollama's {"error":"…"} and plain text. The
// status is kept for 4xx (a client mistake stays the client's); 5xx becomes 502 (the engine failed), except
// 503; any other status (a redirect, a 204) is the engine failing too: 502, the message naming the status.
// The engine's text is made valid UTF-8 (invalid bytes become U+FFFD), and a plain-text body is cut to its
// first 500 bytes between two characters: whatever the engine sent, the error body is valid JSON.
ApiError engine_error(int status, std::string_view body, std::string_view engine_name);

// An error an engine reported inside its stream, as the client sees it: `payload` is `{"error":{…}}` (vLLM,
// llama.cpp), the error object itself (llama.cpp's legacy `error:` SSE field, `event: error` data) or a
// string. The engine's message (after "Engine 'NAME' failed: " when `engine_name` is given), type and code
// are kept and normalized as engine_error does, with the object's `code` as the HTTP status when it is one
// (500 otherwise): a 4xx stays the client's (it becomes the response's status when nothing was sent yet), a
// 5xx becomes 502.
ApiError engine_stream_error(std::string_view payload, std::string_view engine_name);

// Reads an `error` object (from a body or an in-band event) into an ApiError; `fallback_status` when the
// object carries no usable HTTP status. Its texts are made valid UTF-8, as engine_error does.
ApiError error_from_json(const boost::json::value& error, int fallback_status);

}  // namespace quorum::wire
