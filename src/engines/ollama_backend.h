// Adapter for Ollama's native API: /api/tags (+ /api/ps for what is loaded), /api/chat and /api/generate
// NDJSON streams with `thinking` and whole tool calls, /api/embed. Going native rather than through Ollama's
// /v1 keeps its errors visible mid-stream and its Modelfile defaults intact (openai-wire.md §8.2).
#pragma once

#include "engines/backend.h"
#include "net/http_client.h"

namespace quorum::engines {

class OllamaBackend final : public Backend {
 public:
  // `base_url`: the server root, e.g. http://127.0.0.1:11434 (a trailing / or /v1 is ignored).
  OllamaBackend(std::string name, std::string base_url, net::ClientOptions options = {});

  const std::string& name() const override { return name_; }
  std::string_view type() const override { return "ollama"; }
  const std::string& location() const override { return base_; }
  Task<Result<std::vector<ModelInfo>>> list_models() override;
  Task<Result<std::unique_ptr<EventStream>>> generate(const wire::GenerationRequest& request,
                                                      const CallContext& context) override;
  Task<Result<boost::json::object>> embed(const wire::EmbeddingRequest& request,
                                          const CallContext& context) override;
  std::chrono::steady_clock::time_point last_answered() const override { return answers_.last(); }

 private:
  AnswerClock answers_;  // every response head of a generation or an embedding
  std::string name_;
  std::string base_;
  net::ClientOptions options_;
};

}  // namespace quorum::engines
