// What an engine answers besides a stream: its error bodies (engine_error for OpenAI-compatible servers,
// ollama_error, engine_stream_error for an error inside a stream), Ollama's /api/tags, /api/ps and /api/embed
// bodies, and the RFC 3339 times in them.
//
// Input: bytes 0-1 the HTTP status the engine answered (0 to 999); byte 2 which reader (% 7); the rest is
// the body.
//
// Invariants:
//  - an error the client will see has an HTTP error status (4xx kept as the client's, 5xx as 502 or 503, any
//    other as 502),
//    an OpenAI type, a message, and its error body is JSON in valid UTF-8 (an engine's bytes are not
//    trusted to be);
//  - Ollama's model lists hold names, and the embeddings response is JSON (no `Infinity`), a list with one
//    entry per vector;
//  - parse_rfc3339 never fails loudly (0 when unparsable).
#include <boost/json.hpp>
#include <set>

#include "support/harness.h"
#include "wire/ollama_dialect.h"
#include "wire/openai_dialect.h"
#include "wire/stream_writer.h"

namespace json = boost::json;
using namespace quorum::wire;
using quorum::ApiError;

namespace {

constexpr std::string_view kEngine = "fuzz-engine";

void check_client_error(const ApiError& e, int engine_status) {
  static const std::set<std::string> kTypes = {"invalid_request_error", "authentication_error",
                                               "permission_error", "rate_limit_error", "server_error"};
  FUZZ_CHECK(e.status >= 400 && e.status <= 599, "status " + std::to_string(e.status));
  FUZZ_CHECK(e.status < 500 || e.status == 502 || e.status == 503, "status " + std::to_string(e.status));
  FUZZ_CHECK(kTypes.count(e.type), "type " + e.type);
  FUZZ_CHECK((e.status >= 500) == (e.type == "server_error"), e.type + " with " + std::to_string(e.status));
  if (engine_status >= 400 && engine_status <= 499) FUZZ_CHECK(e.status == engine_status);
  FUZZ_CHECK(!e.message.empty());
  json::error_code ec;
  json::value body = json::parse(error_body(e), ec);
  FUZZ_CHECK(!ec, "the error body is not JSON in valid UTF-8: " + e.message.substr(0, 300));
  FUZZ_CHECK(body.at("error").at("message").as_string() == e.message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int status = (data[0] | data[1] << 8) % 1000;
  std::string_view body = quorum::fuzz::as_text(data + 3, size - 3);
  switch (data[2] % 7) {
    case 0:
      check_client_error(engine_error(status, body, kEngine), status);
      break;
    case 1: {
      ApiError e = ollama_error(status, body, kEngine);
      check_client_error(e, status);
      if (status == 404) FUZZ_CHECK(e.code == "model_not_found" && e.param == "model");
      break;
    }
    case 2: {
      // The status of an in-stream error is the engine's `code` when it is one, or 500.
      ApiError e = engine_stream_error(body, kEngine);
      check_client_error(e, e.status);
      break;
    }
    case 3: {
      auto tags = parse_ollama_tags(body);
      if (tags) {
        for (const auto& m : *tags) FUZZ_CHECK(!m.name.empty());
      } else {
        FUZZ_CHECK(tags.error().status == 502);
      }
      break;
    }
    case 4:
      for (const auto& name : parse_ollama_ps(body)) FUZZ_CHECK(!name.empty());
      break;
    case 5: {
      auto response = ollama_embeddings_response(body, "fuzz-model");
      if (!response) {
        FUZZ_CHECK(response.error().status == 502);
        break;
      }
      json::error_code ec;
      json::value v = json::parse(body, ec);
      FUZZ_CHECK(!ec);
      FUZZ_CHECK(response->at("data").as_array().size() == v.at("embeddings").as_array().size());
      json::parse(json::serialize(*response), ec);
      FUZZ_CHECK(!ec, "the embeddings response is not JSON");
      break;
    }
    default:
      parse_rfc3339(body);
      break;
  }
  return 0;
}
