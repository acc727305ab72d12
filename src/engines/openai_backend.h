// Adapter for any OpenAI-compatible server: llama.cpp's llama-server, vLLM, LM Studio, Ollama's /v1, MLX
// servers. Always streams from the engine (asking for usage) and normalizes every chunk into events.
#pragma once

#include "engines/backend.h"
#include "net/http_client.h"

namespace quorum::engines {

class OpenAiBackend final : public Backend {
 public:
  // `base_url` is the server root, with or without a trailing /v1 (e.g. http://127.0.0.1:8080).
  OpenAiBackend(std::string name, std::string base_url, net::ClientOptions options = {});

  const std::string& name() const override { return name_; }
  std::string_view type() const override { return "openai"; }
  const std::string& location() const override { return base_; }
  Task<Result<std::vector<ModelInfo>>> list_models() override;
  Task<Result<std::unique_ptr<EventStream>>> generate(const wire::GenerationRequest& request,
                                                       const CallContext& context) override;
  Task<Result<boost::json::object>> embed(const wire::EmbeddingRequest& request, const CallContext& context) override;

 private:
  std::string name_;
  std::string base_;  // without trailing slash and without /v1
  net::ClientOptions options_;
};

// Strips a trailing "/" and "/v1" from an engine URL.
std::string normalize_engine_url(std::string url);

}  // namespace quorum::engines
