// ModelManager: which models are in memory. A model loads on first use and stays warm; it is unloaded after
// `idle_timeout` without requests, or earlier when loading another one would exceed `memory_budget`, least
// recently used first (a model serving or queueing requests is never evicted). Before a model loads, its need
// (memory_plan.h: its file plus its context cache) is weighed against the budget: a model that needs more
// than the whole budget is refused (503 model_too_large) and never loaded; one that fits only once models
// now serving requests are done is refused for now (503 model_memory_busy). A model whose file changed
// since it was loaded (size, time or inode) is reloaded on its next use; one whose file disappeared is
// dropped. Thread-safe. The destructor unloads everything.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "core/result.h"
#include "engines/llamacpp/loaded_model.h"
#include "engines/llamacpp/model_catalog.h"

namespace quorum::engines::llamacpp {

struct ManagerOptions {
  ModelOptions model;
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};  // 0: never unload for idleness
  uint64_t memory_budget = 0;                                       // bytes; 0: three quarters of the RAM
};

class ModelManager {
 public:
  explicit ModelManager(ManagerOptions options);
  ~ModelManager();
  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // The model for `entry`, loaded or loading (check its state / submit to it). Never blocks on the load.
  // Fails with a 503 when it does not fit the memory budget (see above), or once shutdown() was called.
  Result<std::shared_ptr<LoadedModel>> acquire(const CatalogModel& entry);
  // Unloads every model now (their running and queued jobs end with an error) and stops the janitor. After
  // it, no model thread touches anything again. Idempotent; the destructor calls it.
  void shutdown();
  // True when `id` is in memory and ready.
  bool is_loaded(const std::string& id) const;
  // Unloads `id` now (destroyed on the janitor thread): 404 when it is not in memory, 409 while a job runs on
  // it (the caller may try again once it ends).
  Status unload(const std::string& id);
  // Drops models whose id is not in `present` (their file is gone).
  void retain(const std::set<std::string>& present);

 private:
  struct Entry {
    std::shared_ptr<LoadedModel> model;
    std::string version;  // CatalogModel::version of the file it was loaded from
    std::chrono::steady_clock::time_point last_acquired;
  };
  void janitor();
  void unload_later(std::shared_ptr<LoadedModel> model);  // destroyed on the janitor thread

  const ManagerOptions options_;
  const uint64_t budget_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, Entry> models_;
  std::vector<std::shared_ptr<LoadedModel>> to_unload_;
  bool stopping_ = false;
  std::thread janitor_;
};

}  // namespace quorum::engines::llamacpp
