#include "engines/llamacpp/model_manager.h"

#include <unistd.h>

#include "core/log.h"
#include "engines/llamacpp/memory_plan.h"

namespace quorum::engines::llamacpp {

namespace {

uint64_t default_budget() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return uint64_t{8} << 30;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) / 4 * 3;
}

}  // namespace

ModelManager::ModelManager(ManagerOptions options)
    : options_(options), budget_(options.memory_budget ? options.memory_budget : default_budget()) {
  janitor_ = std::thread([this] { janitor(); });
}

ModelManager::~ModelManager() {
  shutdown();
}

void ModelManager::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (janitor_.joinable()) janitor_.join();
}

void ModelManager::unload_later(std::shared_ptr<LoadedModel> model) {
  to_unload_.push_back(std::move(model));
  wake_.notify_all();
}

Result<std::shared_ptr<LoadedModel>> ModelManager::acquire(const CatalogModel& entry) {
  std::lock_guard lock(mutex_);
  if (stopping_) return ApiError::server(503, "The node is shutting down.", "shutting_down");
  auto now = std::chrono::steady_clock::now();
  auto it = models_.find(entry.id);
  if (it != models_.end()) {
    bool same_file = it->second.model->path() == entry.path && it->second.version == entry.version;
    if (same_file || it->second.model->busy() > 0) {
      it->second.last_acquired = now;
      return it->second.model;
    }
    log::info("model '" + entry.id + "': the file changed; reloading");
    unload_later(std::move(it->second.model));
    models_.erase(it);
  }
  const MemoryNeed need =
      memory_need(entry.size, entry.shape, options_.model.slots, options_.model.ctx_per_slot);
  std::vector<ResidentModel> residents;
  for (const auto& [id, e] : models_) {
    const auto state = e.model->state();
    residents.push_back({id, state == LoadedModel::State::kFailed ? 0 : e.model->memory_estimate(),
                         state == LoadedModel::State::kLoading || e.model->busy() > 0, e.model->last_used()});
  }
  const LoadPlan plan = plan_load(need.total(), budget_, residents);
  if (plan.verdict == LoadPlan::Verdict::kTooLarge) {
    auto error = too_large_error(entry.id, need, budget_);
    log::warn(error.message);
    return error;
  }
  if (plan.verdict == LoadPlan::Verdict::kBudgetInUse) {
    auto error = budget_in_use_error(entry.id, need, budget_, plan.in_use);
    log::info(error.message);
    return error;
  }
  for (const auto& victim : plan.evict) {
    log::info("unloading model '" + victim + "' to make room for '" + entry.id + "' (memory budget " +
              mib(budget_) + ")");
    auto v = models_.find(victim);
    unload_later(std::move(v->second.model));
    models_.erase(v);
  }
  log::info("loading model '" + entry.id + "' from " + entry.path + " (about " + mib(need.total()) + ")");
  auto model = std::make_shared<LoadedModel>(entry.id, entry.path, options_.model, entry.shape);
  models_[entry.id] = Entry{model, entry.version, now};
  return model;
}

bool ModelManager::is_loaded(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = models_.find(id);
  return it != models_.end() && it->second.model->state() == LoadedModel::State::kReady;
}

Status ModelManager::unload(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = models_.find(id);
  if (it == models_.end()) {
    return ApiError::not_found("The model '" + id + "' is not loaded.", "id", "model_not_loaded");
  }
  if (it->second.model->busy() > 0) {
    return ApiError{409, "invalid_request_error",
                    "The model '" + id + "' is answering a request; unload it once that ends.", std::nullopt,
                    std::string("model_busy")};
  }
  log::info("model '" + id + "': unloading (asked from the node's page)");
  unload_later(std::move(it->second.model));
  models_.erase(it);
  return Ok{};
}

void ModelManager::retain(const std::set<std::string>& present) {
  std::lock_guard lock(mutex_);
  for (auto it = models_.begin(); it != models_.end();) {
    if (present.count(it->first) || it->second.model->busy() > 0) {
      ++it;
      continue;
    }
    log::info("model '" + it->first + "': its file is gone; unloading");
    unload_later(std::move(it->second.model));
    it = models_.erase(it);
  }
}

void ModelManager::janitor() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, std::chrono::milliseconds(250), [&] { return stopping_ || !to_unload_.empty(); });
    if (stopping_) {
      for (auto& [id, e] : models_) to_unload_.push_back(std::move(e.model));
      models_.clear();
    } else if (options_.idle_timeout.count() > 0) {
      auto now = LoadedModel::Clock::now();
      for (auto it = models_.begin(); it != models_.end();) {
        auto& m = *it->second.model;
        bool idle = m.state() == LoadedModel::State::kReady && m.busy() == 0 &&
                    now - m.last_used() >= options_.idle_timeout &&
                    now - it->second.last_acquired >= options_.idle_timeout;
        if (!idle) {
          ++it;
          continue;
        }
        log::info(
            "model '" + it->first + "' idle for " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options_.idle_timeout).count()) +
            " s; unloading");
        to_unload_.push_back(std::move(it->second.model));
        it = models_.erase(it);
      }
    }
    auto doomed = std::move(to_unload_);
    to_unload_.clear();
    lock.unlock();
    doomed.clear();  // joins each model's thread outside the lock
    lock.lock();
    if (stopping_) return;
  }
}

}  // namespace quorum::engines::llamacpp
