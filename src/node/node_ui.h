// NodeUi: the node's side of its local UI (docs/ui-api.md). It builds the parts of the UI's state from the
// node's own structures (UiSources for node/ui/ui_hub.h), tells the hub when they change (the cluster
// registry's subscription, the engine registry's change callback, the relay link), and carries out the
// page's writes (node/ui/ui_endpoints.h UiActions): settings kept in settings.json, engines added and
// removed live, models loaded and unloaded, and cluster, name and models-folder changes, which need a fresh
// start and so end in a re-exec of the node (relaunch.h) through `restart`.
//
// Threading: the sources run on any thread; run() on the UI's worker thread; notifications are posted to
// `executor` (the node's first context) and built there.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/membership.h"
#include "core/subscription.h"
#include "engines/registry.h"
#include "node/api/api.h"
#include "node/config.h"
#include "node/ui/ui_endpoints.h"
#include "node/ui/ui_hub.h"

namespace quorum::engines::llamacpp {
class LlamaCppBackend;
}

namespace quorum::node {

class ClusterNode;
class NodeUpdate;
class RelayClient;

struct NodeUiParts {
  const NodeConfig& config;
  const cluster::NodeIdentity& identity;
  const std::optional<cluster::Membership>& membership;
  engines::EngineRegistry& registry;
  Api& api;
  ClusterNode* cluster = nullptr;                                // null outside a cluster
  std::shared_ptr<RelayClient> relay;                            // null outside a cluster
  std::shared_ptr<engines::llamacpp::LlamaCppBackend> embedded;  // null when --no-embedded
  std::string listen;                                            // "127.0.0.1:32768"
  boost::asio::any_io_executor executor;                         // the node's first context
  // Stops the node and re-executes it without the options `drop` (relaunch.h); `reason` goes to the pages.
  std::function<void(const std::string& reason, std::vector<std::string> drop)> restart;
  std::shared_ptr<NodeUpdate> update;  // the self-update (node_update.h)
  // Refreshes the engines' model lists now (on the node's first context): after the page's writes, and
  // after requests (at most twice a second).
  std::function<void()> refresh_engines;
};

class NodeUi final : public ui::UiActions {
 public:
  explicit NodeUi(NodeUiParts parts);
  ~NodeUi() override;

  const std::shared_ptr<ui::UiHub>& hub() const { return hub_; }
  // Starts listening to the registries and the relay link (before serving).
  void start();
  // The relay link came up or went down.
  void relay_changed();
  // The self-update's state changed (any thread).
  void update_changed();

  Result<boost::json::object> run(const std::string& action, const boost::json::object& body) override;

 private:
  ui::UiSources sources();
  boost::json::value nodes_json() const;
  boost::json::value models_json() const;
  boost::json::value engines_json() const;
  boost::json::value relay_json() const;
  boost::json::value settings_json() const;
  boost::json::value models_folder_json() const;
  // Posts hub_->changed(part) to the executor, once for a burst of calls.
  void notify(ui::UiPart part);

  Result<boost::json::object> rename(const boost::json::object& body);
  Result<boost::json::object> change_settings(const boost::json::object& body);
  Result<boost::json::object> add_engine(const boost::json::object& body);
  Result<boost::json::object> remove_engine(const boost::json::object& body);
  Result<boost::json::object> load_model(const boost::json::object& body, bool load);
  Result<boost::json::object> cluster_action(const std::string& action, const boost::json::object& body);
  Result<boost::json::object> relay_action(const std::string& action, const boost::json::object& body);

  NodeUiParts parts_;
  std::shared_ptr<ui::UiHub> hub_;
  const int64_t started_at_ms_;
  Subscription cluster_changes_;
  std::shared_ptr<std::atomic<unsigned>> dirty_ = std::make_shared<std::atomic<unsigned>>(0);
};

}  // namespace quorum::node
