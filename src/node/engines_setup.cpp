#include "node/engines_setup.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>

#include "core/log.h"
#include "engines/llamacpp/llamacpp_backend.h"
#include "engines/ollama_backend.h"
#include "engines/openai_backend.h"

namespace quorum::node {

namespace asio = boost::asio;

std::shared_ptr<engines::Backend> make_backend(const EngineSpec& spec, const NodeConfig& config) {
  net::ClientOptions options;
  options.read_idle_timeout = config.idle_timeout;
  options.head_timeout = std::max<std::chrono::milliseconds>(config.idle_timeout, std::chrono::seconds(600));
  if (spec.type == "ollama") return std::make_shared<engines::OllamaBackend>(spec.name, spec.url, options);
  return std::make_shared<engines::OpenAiBackend>(spec.name, spec.url, options);
}

std::shared_ptr<engines::Backend> make_embedded_backend(const NodeConfig& config) {
  namespace lc = engines::llamacpp;
  const auto& e = config.embedded;
  std::string dir = e.models_dir;
  if (dir.empty()) {
    dir = config.state_dir + "/models";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) log::warn("cannot create the models folder " + dir + ": " + ec.message());
  } else if (!std::filesystem::is_directory(dir)) {
    log::warn("--models-dir " + dir + " is not a folder (yet); models put there later will be served");
  }
  std::vector<lc::ConfiguredModel> models;
  for (const auto& text : e.models) {
    lc::ConfiguredModel m;
    auto eq = text.find('=');
    // ID=PATH, unless the '=' belongs to the path (an id never contains '/').
    if (eq != std::string::npos && text.substr(0, eq).find('/') == std::string::npos) {
      m.id = text.substr(0, eq);
      m.path = text.substr(eq + 1);
    } else {
      m.path = text;
    }
    if (m.path.empty() || (eq == 0)) {
      log::error("--model expects [ID=]PATH, got '" + text + "'");
      return nullptr;
    }
    models.push_back(std::move(m));
  }
  lc::ManagerOptions options;
  options.idle_timeout = e.idle_timeout;
  options.memory_budget = e.memory_budget;
  options.model.slots = e.slots;
  options.model.queue_limit = e.queue;
  options.model.ctx_per_slot = e.ctx;
  options.model.threads = e.threads;
  return std::make_shared<lc::LlamaCppBackend>("llamacpp", dir, std::move(models), options);
}

namespace {

// Whether the registered engine `name` answered a request at or after `since`.
bool answered_since(const engines::EngineRegistry& registry, const std::string& name,
                    std::chrono::steady_clock::time_point since) {
  for (const auto& backend : registry.backends()) {
    if (backend->name() == name) return backend->last_answered() >= since;
  }
  return false;
}

}  // namespace

net::Task<void> engine_watch_loop(const NodeConfig& config, engines::EngineRegistry& registry) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  for (;;) {
    if (config.autodetect) {
      for (const auto& candidate : config.autodetect_candidates) {
        if (registry.is_explicit(candidate.name)) continue;
        auto backend = make_backend(candidate, config);
        const auto asked = std::chrono::steady_clock::now();
        auto models = co_await backend->list_models();
        bool known = registry.contains(candidate.name);
        // Busy, not gone: the engine in use answered requests while this probe went unanswered.
        if (!models && known && answered_since(registry, candidate.name, asked)) continue;
        if (models && !known) {
          registry.add(backend, /*autodetected=*/true);
          log::info("engine '" + candidate.name + "' (" + candidate.type + ") detected at " + candidate.url +
                    " with " + std::to_string(models->size()) + " model(s)");
        } else if (!models && known) {
          registry.remove(candidate.name);
          log::info("engine '" + candidate.name + "' at " + candidate.url + " stopped answering; removed");
        }
      }
    }
    co_await registry.refresh();
    timer.expires_after(config.probe_interval);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

}  // namespace quorum::node
