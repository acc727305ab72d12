// A client's request body, as the API reads it: parse_chat_request, parse_completion_request or
// parse_embedding_request, then what is built from an accepted request: the body for an OpenAI-compatible
// engine (openai_upstream_body), Ollama's /api/chat, /api/generate and /api/embed bodies, and the embedded
// engine's sampling parameters (parse_sampling_params, fit_to_slot).
//
// Input: byte 0 chooses the endpoint (% 3: chat, completion, embeddings); bytes 1-4 the slot the embedded
// engine would run it in (context and vocabulary sizes, 1 to 65536 each); the rest is the body.
//
// Invariants:
//  - a refusal is a 400 invalid_request_error with a message, and its error body is JSON in valid UTF-8;
//  - an accepted request has a model, 1 <= n <= 128, max_tokens >= 0, include_usage only when streaming;
//  - the engine body built from it is accepted again with the same n and max_tokens, streaming with usage;
//  - a body the scanner reads (request_scan.h) is one the full parse accepts, with the same fields, the same
//    tree, and an engine body that is the same JSON (as text it keeps the client's spelling of values);
//  - accepted sampling parameters are within their documented ranges, and once fitted to a slot every
//    size-like one (repeat_last_n, top_k, max_tokens) is within the slot (the 8 GiB allocation of H1 cannot
//    come back); fitting twice changes nothing;
//  - the Ollama bodies are JSON objects in valid UTF-8 or a 400.
#include "wire/request.h"

#include <boost/json.hpp>
#include <cmath>

#include "engines/llamacpp/sampling_params.h"
#include "support/harness.h"
#include "wire/embedding_encoding.h"
#include "wire/ollama_dialect.h"
#include "wire/stream_writer.h"

namespace json = boost::json;
using namespace quorum::wire;
using quorum::ApiError;
using quorum::Result;
using quorum::engines::llamacpp::SamplingParams;

namespace {

void check_refusal(const ApiError& e) {
  FUZZ_CHECK(e.status == 400 && e.type == "invalid_request_error" && !e.message.empty(), e.message);
  json::error_code ec;
  json::parse(error_body(e), ec);
  FUZZ_CHECK(!ec, "the error body is not JSON in valid UTF-8: " + e.message);
}

void check_json(const json::object& o) {
  json::error_code ec;
  json::parse(json::serialize(o), ec);
  FUZZ_CHECK(!ec, "a body that is not JSON in valid UTF-8");
}

bool in(float x, float lo, float hi) {
  return x >= lo && x <= hi;
}

void check_sampling(const GenerationRequest& r, int32_t ctx, int32_t vocab) {
  auto parsed = quorum::engines::llamacpp::parse_sampling_params(r);
  if (!parsed) {
    check_refusal(parsed.error());
    FUZZ_CHECK(parsed.error().param.has_value() && !parsed.error().param->empty());
    return;
  }
  const SamplingParams& p = *parsed;
  FUZZ_CHECK(in(p.temperature, 0, 2) && in(p.top_p, 0, 1) && in(p.min_p, 0, 1));
  FUZZ_CHECK(in(p.presence_penalty, -2, 2) && in(p.frequency_penalty, -2, 2));
  FUZZ_CHECK(p.repeat_penalty > 0 && std::isfinite(p.repeat_penalty));
  FUZZ_CHECK(p.top_k >= 0 && p.penalty_last_n >= -1);
  FUZZ_CHECK(!p.max_tokens || *p.max_tokens >= 1);
  FUZZ_CHECK(p.stop.size() <= 16);
  for (const auto& s : p.stop) FUZZ_CHECK(!s.empty());

  SamplingParams fit = quorum::engines::llamacpp::fit_to_slot(p, ctx, vocab);
  FUZZ_CHECK(fit.penalty_last_n >= 0 && fit.penalty_last_n <= ctx);
  FUZZ_CHECK(fit.top_k >= 0 && fit.top_k <= vocab);
  FUZZ_CHECK(!fit.max_tokens || (*fit.max_tokens >= 1 && *fit.max_tokens <= ctx));
  SamplingParams twice = quorum::engines::llamacpp::fit_to_slot(fit, ctx, vocab);
  FUZZ_CHECK(twice.penalty_last_n == fit.penalty_last_n && twice.top_k == fit.top_k &&
             twice.max_tokens == fit.max_tokens);
}

// The scanner's answer against the full parse's, for the same body.
void check_scanned(const GenerationRequest& scanned, const Result<GenerationRequest>& tree) {
  FUZZ_CHECK(tree.ok(), "the scanner took a body the full parse refuses: " + tree.error().message);
  const GenerationRequest& t = tree.value();
  FUZZ_CHECK(scanned.model == t.model && scanned.stream == t.stream &&
                 scanned.include_usage == t.include_usage && scanned.n == t.n &&
                 scanned.max_tokens == t.max_tokens,
             "the scanner read other fields than the full parse");
  FUZZ_CHECK(scanned.body() == t.body(), "the scanned body's tree differs");
  FUZZ_CHECK(json::parse(openai_upstream_json(scanned, "upstream-model")) ==
                 json::value(openai_upstream_body(t, "upstream-model")),
             "the upstream body from the client's bytes is other JSON");
}

void check_generation(const Result<GenerationRequest>& parsed, GenerationKind kind, int32_t ctx,
                      int32_t vocab, std::string_view body) {
  const Result<GenerationRequest> tree = parse_generation_tree(kind, body);
  if (parsed.ok() && parsed->scanned()) check_scanned(parsed.value(), tree);
  FUZZ_CHECK(parsed.ok() == tree.ok(), "the request is taken one way and not the other");
  if (!parsed) {
    FUZZ_CHECK(parsed.error().message == tree.error().message && parsed.error().param == tree.error().param);
    return check_refusal(parsed.error());
  }
  const GenerationRequest& r = parsed.value();
  FUZZ_CHECK(r.kind == kind && !r.model.empty() && r.n >= 1 && r.n <= kMaxChoices);
  FUZZ_CHECK(!r.max_tokens || *r.max_tokens >= 0);
  FUZZ_CHECK(!r.include_usage || r.stream);

  json::object upstream = openai_upstream_body(r, "upstream-model");
  std::string text = json::serialize(upstream);
  FUZZ_CHECK(openai_upstream_json(tree.value(), "upstream-model") == text,
             "the upstream body as text differs");
  auto again = kind == GenerationKind::kChat ? parse_chat_request(text) : parse_completion_request(text);
  FUZZ_CHECK(again.ok(), again.ok() ? "" : again.error().message + " in " + text.substr(0, 300));
  FUZZ_CHECK(again->model == "upstream-model" && again->stream && again->include_usage);
  FUZZ_CHECK(again->n == r.n && again->max_tokens == r.max_tokens);

  check_sampling(r, ctx, vocab);

  auto ollama = kind == GenerationKind::kChat ? ollama_chat_body(r, "ollama-model")
                                              : ollama_generate_body(r, "ollama-model");
  if (!ollama) return check_refusal(ollama.error());
  check_json(*ollama);
}

void check_embedding(const Result<EmbeddingRequest>& parsed) {
  if (!parsed) return check_refusal(parsed.error());
  const EmbeddingRequest& r = parsed.value();
  FUZZ_CHECK(!r.model.empty());
  check_json(ollama_embed_body(r, "ollama-model"));
  // An engine's vector, as the node re-encodes it for a client that asked for base64.
  if (const auto* input = r.body.if_contains("input"); input && input->is_array()) {
    const auto& values = input->get_array();
    std::string b64 = floats_to_base64(values);
    FUZZ_CHECK(b64.size() == (values.size() * 4 + 2) / 3 * 4);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  const int endpoint = data[0] % 3;
  const int32_t ctx = 1 + (data[1] | data[2] << 8);
  const int32_t vocab = 1 + (data[3] | data[4] << 8);
  std::string_view body = quorum::fuzz::as_text(data + 5, size - 5);
  switch (endpoint) {
    case 0:
      check_generation(parse_chat_request(body), GenerationKind::kChat, ctx, vocab, body);
      break;
    case 1:
      check_generation(parse_completion_request(body), GenerationKind::kCompletion, ctx, vocab, body);
      break;
    default:
      check_embedding(parse_embedding_request(body));
      break;
  }
  return 0;
}
