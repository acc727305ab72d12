// Adapter `llamacpp`: llama.cpp linked into the node, serving the GGUF files of a models directory and of
// `--model` (see ModelCatalog), loading them on first use (ModelManager) and running each in its own
// continuous-batching loop (LoadedModel). Chat uses the GGUF's own chat template; completions take a prompt
// string; embeddings are mean-pooled (or the model's own pooling) and L2-normalized.
#pragma once

#include <memory>

#include "engines/backend.h"
#include "engines/llamacpp/model_catalog.h"
#include "engines/llamacpp/model_manager.h"

namespace quorum::engines::llamacpp {

class LlamaCppBackend final : public Backend {
 public:
  LlamaCppBackend(std::string name, std::string models_dir, std::vector<ConfiguredModel> models,
                  ManagerOptions options);

  const std::string& name() const override { return name_; }
  std::string_view type() const override { return "llamacpp"; }
  const std::string& location() const override { return catalog_.models_dir(); }
  Task<Result<std::vector<ModelInfo>>> list_models() override;
  Task<Result<std::unique_ptr<EventStream>>> generate(const wire::GenerationRequest& request,
                                                      const CallContext& context) override;
  Task<Result<boost::json::object>> embed(const wire::EmbeddingRequest& request,
                                          const CallContext& context) override;

  // --model-slots: the generations each loaded model runs at once.
  int capacity() const override { return slots_; }
  // Unloads every model and stops their threads (see ModelManager::shutdown). Call it before the executors
  // that requests run on are destroyed: model threads post events to them.
  void shutdown() override { manager_.shutdown(); }

  // From the node's page (docs/ui-api.md). load(): starts loading `id` now, as a first request would, and
  // returns without waiting (404 when no file serves it, 503 when it does not fit the memory budget).
  // unload(): frees it now (404 when it is not loaded, 409 while a request runs on it).
  Status load(const std::string& id);
  Status unload(const std::string& id) { return manager_.unload(id); }
  // The models folder's GGUF files and the --model files, as a request would find them.
  std::vector<CatalogModel> files() { return catalog_.scan(); }

 private:
  // The loaded (or loading) model serving `id`, or the error the client should see.
  Result<std::shared_ptr<LoadedModel>> model_for(const std::string& id);
  // Queues `job` (a GenerationJob or an EmbeddingJob) on the model serving `id`, and has the request's
  // canceller set the job's `cancelled` flag (the client left: the model's thread drops or stops the job).
  // The model is not held afterwards, so a shutdown can unload it meanwhile (which ends the job).
  template <class Job>
  Status submit(const std::string& id, const std::shared_ptr<Job>& job, const CallContext& context);

  std::string name_;
  int slots_;
  ModelCatalog catalog_;
  ModelManager manager_;
};

}  // namespace quorum::engines::llamacpp
