#include "engines/registry.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace quorum::engines {

namespace asio = boost::asio;

// Woken on its own executor when a refresh ends: `done` and the timer are touched there only.
struct EngineRegistry::RefreshWaiter {
  explicit RefreshWaiter(const asio::any_io_executor& executor)
      : timer(executor, asio::steady_timer::time_point::max()) {}
  asio::steady_timer timer;
  bool done = false;
};

void EngineRegistry::add(std::shared_ptr<Backend> backend, bool autodetected) {
  {
    std::lock_guard lock(mutex_);
    auto same = std::find_if(entries_.begin(), entries_.end(),
                             [&](const Entry& e) { return e.backend->name() == backend->name(); });
    if (same != entries_.end()) {
      *same = Entry{std::move(backend), autodetected};
    } else {
      entries_.push_back(Entry{std::move(backend), autodetected});
    }
  }
  changed();
}

void EngineRegistry::remove(const std::string& name) {
  size_t removed = 0;
  {
    std::lock_guard lock(mutex_);
    removed = std::erase_if(entries_, [&](const Entry& e) { return e.backend->name() == name; });
  }
  if (removed > 0) changed();
}

bool EngineRegistry::contains(const std::string& name) const {
  std::lock_guard lock(mutex_);
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const Entry& e) { return e.backend->name() == name; });
}

bool EngineRegistry::is_explicit(const std::string& name) const {
  std::lock_guard lock(mutex_);
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const Entry& e) { return e.backend->name() == name && !e.autodetected; });
}

std::vector<std::shared_ptr<Backend>> EngineRegistry::backends() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Backend>> out;
  for (const auto& e : entries_) out.push_back(e.backend);
  return out;
}

std::vector<Holder> EngineRegistry::holders(const std::string& model) const {
  std::lock_guard lock(mutex_);
  std::vector<Holder> out;
  for (const auto& e : entries_) {
    if (!e.up) continue;
    for (const auto& m : e.models) {
      if (m.id == model) out.push_back(Holder{e.backend, m});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Holder& a, const Holder& b) { return a.model.loaded > b.model.loaded; });
  return out;
}

std::vector<ListedModel> EngineRegistry::models() const {
  std::lock_guard lock(mutex_);
  std::vector<ListedModel> out;
  for (const auto& e : entries_) {
    if (!e.up) continue;
    for (const auto& m : e.models) {
      auto it = std::find_if(out.begin(), out.end(), [&](const ListedModel& l) { return l.info.id == m.id; });
      if (it == out.end()) {
        out.push_back(ListedModel{m, {e.backend->name()}});
        if (out.back().info.owned_by.empty()) out.back().info.owned_by = std::string(e.backend->name());
      } else {
        it->info.loaded = it->info.loaded || m.loaded;
        if (m.created && (!it->info.created || m.created < it->info.created)) it->info.created = m.created;
        it->engines.push_back(e.backend->name());
      }
    }
  }
  return out;
}

std::vector<EngineStatus> EngineRegistry::offline_holders(const std::string& model) const {
  std::lock_guard lock(mutex_);
  std::vector<EngineStatus> out;
  for (const auto& e : entries_) {
    if (e.up) continue;
    for (const auto& m : e.models) {
      if (m.id != model) continue;
      out.push_back(EngineStatus{e.backend->name(),
                                 std::string(e.backend->type()),
                                 e.backend->location(),
                                 e.autodetected,
                                 false,
                                 e.last_error,
                                 {}});
      break;
    }
  }
  return out;
}

std::vector<EngineStatus> EngineRegistry::status() const {
  std::lock_guard lock(mutex_);
  std::vector<EngineStatus> out;
  for (const auto& e : entries_) {
    out.push_back(EngineStatus{e.backend->name(), std::string(e.backend->type()), e.backend->location(),
                               e.autodetected, e.up, e.last_error, e.models});
  }
  return out;
}

int EngineRegistry::capacity() const {
  std::lock_guard lock(mutex_);
  int total = 0;
  for (const auto& e : entries_) {
    if (e.up) total += e.backend->capacity();
  }
  return std::max(total, 1);
}

void EngineRegistry::shutdown_all() {
  for (const auto& backend : backends()) backend->shutdown();
}

namespace {

bool same_models(const std::vector<ModelInfo>& a, const std::vector<ModelInfo>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const ModelInfo& x, const ModelInfo& y) {
    return x.id == y.id && x.loaded == y.loaded;
  });
}

}  // namespace

void EngineRegistry::Refreshes::end() {
  std::vector<std::weak_ptr<RefreshWaiter>> woken;
  {
    std::lock_guard lock(mutex);
    --running;
    woken.swap(waiters);
  }
  for (auto& weak : woken) {
    auto waiter = weak.lock();
    if (!waiter) continue;  // its caller is gone
    asio::post(waiter->timer.get_executor(), [waiter] {
      waiter->done = true;
      waiter->timer.cancel();
    });
  }
}

Task<void> EngineRegistry::refresh() {
  {
    std::lock_guard lock(refreshes_->mutex);
    ++refreshes_->running;
  }
  // However the probe ends: an answer, an exception, or its coroutine destroyed unfinished.
  struct Ending {
    std::shared_ptr<Refreshes> refreshes;
    ~Ending() {
      try {
        refreshes->end();
      } catch (...) {
        // Out of memory while posting a wake-up: that waiter's request waits out its own deadline.
      }
    }
  } ending{refreshes_};
  co_await probe_all();
}

Task<void> EngineRegistry::probe_all() {
  bool any_change = false;
  for (const auto& backend : backends()) {
    const auto asked = std::chrono::steady_clock::now();
    auto result = co_await backend->list_models();
    // An engine that answered other requests while this one went unanswered is busy, not down: under load
    // a probe can time out behind a thousand streams, and marking the engine down would refuse every
    // request until the next probe. It stays as it was.
    if (!result && backend->last_answered() >= asked) continue;
    std::lock_guard lock(mutex_);
    for (auto& e : entries_) {
      if (e.backend != backend) continue;
      const bool was_up = e.up;
      const std::string was_error = e.last_error;
      e.up = result.ok();
      if (result) {
        any_change = any_change || !same_models(e.models, result.value());
        e.models = std::move(result.value());
        e.last_error.clear();
      } else {
        e.last_error = result.error().message;
      }
      any_change = any_change || was_up != e.up || was_error != e.last_error;
    }
  }
  {
    std::lock_guard lock(mutex_);
    last_refresh_ = std::chrono::steady_clock::now();
  }
  if (any_change) changed();
}

Task<void> EngineRegistry::refresh_if_older(std::chrono::milliseconds max_age) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  {
    std::lock_guard lock(mutex_);
    if (std::chrono::steady_clock::now() - last_refresh_ < max_age) co_return;
  }
  std::shared_ptr<RefreshWaiter> waiter;
  {
    std::lock_guard lock(refreshes_->mutex);
    if (refreshes_->running > 0) {
      waiter = std::make_shared<RefreshWaiter>(executor);
      refreshes_->waiters.push_back(waiter);
    }
  }
  if (!waiter) {
    co_await refresh();
    co_return;
  }
  if (waiter->done) co_return;
  boost::system::error_code ec;  // operation_aborted: woken (or the caller was cancelled)
  co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace quorum::engines
