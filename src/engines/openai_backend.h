// Adapter for any OpenAI-compatible server: llama.cpp's llama-server, vLLM, LM Studio, Ollama's /v1, MLX
// servers. Always streams from the engine (asking for usage) and reads every chunk into events: the common
// chunk on the pass-through path (its text kept as the engine encoded it), any other on the full path.
#pragma once

#include <atomic>
#include <functional>

#include "engines/backend.h"
#include "net/http_client.h"

namespace quorum::engines {

// Adds headers to a request about to be sent (method, path, body): how a peer node signs what it forwards.
using RequestSigner = std::function<void(net::Headers& headers, std::string_view method,
                                         std::string_view target, std::string_view body)>;

class OpenAiBackend final : public Backend {
 public:
  // `base_url` is the server root, with or without a trailing /v1 (e.g. http://127.0.0.1:8080). `signer`,
  // when set, is called on every request (its target is the path, e.g. "/v1/chat/completions").
  OpenAiBackend(std::string name, std::string base_url, net::ClientOptions options = {},
                RequestSigner signer = {});

  const std::string& name() const override { return name_; }
  std::string_view type() const override { return "openai"; }
  const std::string& location() const override { return base_; }
  Task<Result<std::vector<ModelInfo>>> list_models() override;
  Task<Result<std::unique_ptr<EventStream>>> generate(const wire::GenerationRequest& request,
                                                      const CallContext& context) override;
  Task<Result<boost::json::object>> embed(const wire::EmbeddingRequest& request,
                                          const CallContext& context) override;
  std::chrono::steady_clock::time_point last_answered() const override { return answers_.last(); }

 private:
  std::string name_;
  std::string base_;  // without trailing slash and without /v1
  net::ClientOptions options_;
  RequestSigner signer_;
  mutable AnswerClock answers_;  // every response head send() gets
  // Sends one request with the signer's headers added.
  Task<Result<std::unique_ptr<net::ClientResponse>>> send(std::string method, std::string path,
                                                          net::Headers headers, std::string body,
                                                          net::ClientOptions options) const;
};

// Strips a trailing "/" and "/v1" from an engine URL.
std::string normalize_engine_url(std::string url);

// Which path engines' chunks take (wire/openai_stream.h), process-wide: the switch, read when a stream
// starts (`quorum node --no-pass-through` turns the pass-through path off, to compare the two), and how many
// chunks each path has read (added when a stream ends; exported in /metrics).
struct StreamPaths {
  std::atomic<bool> pass_through{true};
  std::atomic<uint64_t> passed_through{0};
  std::atomic<uint64_t> parsed{0};
};
StreamPaths& stream_paths();

}  // namespace quorum::engines
