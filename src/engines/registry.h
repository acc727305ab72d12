// The node's engines and the models each offers: the one place that knows "which local engine has model X".
// Thread-safe: read from every API thread; refreshed by whoever calls refresh() (the autodetect loop, or a
// request for a model nobody is known to have).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engines/backend.h"

namespace quorum::engines {

struct Holder {
  std::shared_ptr<Backend> backend;
  ModelInfo model;
};

struct EngineStatus {
  std::string name;
  std::string type;
  std::string location;
  bool autodetected = false;
  bool up = false;
  std::string last_error;
  std::vector<ModelInfo> models;
};

// One model as the node lists it: the union over engines.
struct ListedModel {
  ModelInfo info;                    // loaded = loaded on any engine; created = earliest known
  std::vector<std::string> engines;  // names of the engines that offer it
};

class EngineRegistry {
 public:
  // Adds an engine (replacing one of the same name). Its models are unknown until the next refresh.
  void add(std::shared_ptr<Backend> backend, bool autodetected);
  void remove(const std::string& name);
  bool contains(const std::string& name) const;
  // True when an engine with this name was configured explicitly (autodetection leaves it alone).
  bool is_explicit(const std::string& name) const;
  std::vector<std::shared_ptr<Backend>> backends() const;

  // The engines that offer `model` and answered their last refresh: warm (loaded) ones first, then in the
  // order engines were added.
  std::vector<Holder> holders(const std::string& model) const;
  std::vector<ListedModel> models() const;
  // Engines that offered `model` when they last answered but are not answering now (so that a request can
  // be told "the engine is down" rather than "no such model").
  std::vector<EngineStatus> offline_holders(const std::string& model) const;
  std::vector<EngineStatus> status() const;
  // How many generations the engines that are up serve well at once (the sum of their capacity()), at
  // least 1.
  int capacity() const;
  // Backend::shutdown() of every engine (at the node's stop, before its executors go).
  void shutdown_all();

  // Called after add(), remove(), and a refresh() that changed what status() shows (an engine up or down,
  // its error, its models or their loaded state); outside the registry's lock, on the thread that made the
  // change. Set once, before the registry is shared between threads.
  void set_on_change(std::function<void()> on_change) { on_change_ = std::move(on_change); }

  // Asks every engine for its models (each with a short timeout) and records the answers; an engine that
  // does not answer is marked down and offers nothing until it answers again, unless it answered another
  // request meanwhile (Backend::last_answered: busy, not down; it stays as it was). Runs on the caller's
  // executor.
  Task<void> refresh();
  // refresh(), unless one finished less than `max_age` ago; while one runs (anyone's), waits for it to end
  // instead of starting another, so that a burst of requests for a model nobody has asks each engine once,
  // not once per request. The caller's executor runs one thread at a time (the node's each have one).
  Task<void> refresh_if_older(std::chrono::milliseconds max_age);

 private:
  struct Entry {
    std::shared_ptr<Backend> backend;
    bool autodetected = false;
    bool up = false;
    std::string last_error;
    std::vector<ModelInfo> models;  // while down: what it offered when it last answered
  };
  struct RefreshWaiter;  // a refresh_if_older() waiting for the running refresh
  // The refreshes running and who waits for them: shared with each running refresh(), so that one whose
  // coroutine is destroyed unfinished (its executor's shutdown) still ends, whichever goes first.
  struct Refreshes {
    std::mutex mutex;
    int running = 0;
    // Not owned: a waiter lives in its coroutine, which its executor destroys at shutdown with its timer.
    std::vector<std::weak_ptr<RefreshWaiter>> waiters;
    // One refresh ended: wakes every waiter.
    void end();
  };

  void changed() const {
    if (on_change_) on_change_();
  }
  Task<void> probe_all();

  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  std::function<void()> on_change_;
  std::chrono::steady_clock::time_point last_refresh_{};
  std::shared_ptr<Refreshes> refreshes_ = std::make_shared<Refreshes>();
};

}  // namespace quorum::engines
