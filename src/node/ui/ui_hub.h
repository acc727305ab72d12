// UiHub: the local UI's view of the node (docs/ui-api.md): the snapshot a page starts from, and the events
// that follow it, fanned out to every open page (one UiListener per `GET /api/ui/events`).
//
// The hub keeps no state of its own but the recent request records and the event counter: each part of
// the snapshot (the node, nodes, models, engines, relay, cluster, settings, models folder) is built when
// asked by a function the node gives (UiSources), from the node's own structures. When something changes,
// whoever saw it calls changed(part): the hub builds that part once and queues it, whole, as one event to
// every listener. What tells it: the cluster registry's subscription (nodes, models), the engine registry's
// change callback (engines, models), the request observers (request, load), the relay link (relay), and
// the UI's own writes (node, settings).
//
// Threading: every member is thread-safe; changed() and the observers run on any thread. A listener's
// events are taken on its own executor (take()); the hub wakes it there.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "node/api/request_observers.h"

namespace quorum::node::ui {

enum class UiPart { kNode, kNodes, kModels, kEngines, kRelay, kCluster, kSettings, kModelsFolder, kUpdate };

// Builds each part of the state, on demand, from any thread.
struct UiSources {
  std::function<boost::json::value()> node;           // Self
  std::function<boost::json::value()> nodes;          // Node[]
  std::function<boost::json::value()> models;         // Model[]
  std::function<boost::json::value()> engines;        // Engine[]
  std::function<boost::json::value()> relay;          // Relay | null
  std::function<boost::json::value()> cluster;        // Cluster | null
  std::function<boost::json::value()> settings;       // Settings
  std::function<boost::json::value()> models_folder;  // {path, files}
  std::function<boost::json::value()> update;         // Update (node/node_update.h)
  std::function<int()> in_flight;                     // requests this node serves now
};

// One open event stream. Its events are whole SSE records ("id: …\nevent: …\ndata: …\n\n").
class UiListener : public std::enable_shared_from_this<UiListener> {
 public:
  explicit UiListener(const boost::asio::any_io_executor& executor) : wake(executor) {}
  // Everything queued since the last call, concatenated (empty: nothing new).
  std::string take();
  // True once the hub closed the stream (shutdown or restart): send what take() gives, then end.
  bool closed() const;

  // Waited on by the stream between events; cancelled (on its executor) when an event is queued.
  boost::asio::steady_timer wake;

 private:
  friend class UiHub;
  void push(const std::string& record, bool close);

  mutable std::mutex mutex_;
  std::string pending_;
  bool closed_ = false;
};

class UiHub : public std::enable_shared_from_this<UiHub> {
 public:
  static constexpr size_t kRecentRequests = 50;
  // At most this many event streams at once (every open tab holds one); one more is refused with 503.
  static constexpr size_t kMaxListeners = 64;

  explicit UiHub(UiSources sources) : sources_(std::move(sources)) {}

  // The whole state (Snapshot), with `version` the id of the last event before it.
  boost::json::object snapshot();
  // A new listener on `executor`, whose first record is the snapshot; null when kMaxListeners are open.
  // It stays registered until forget() or close_all().
  std::shared_ptr<UiListener> listen(boost::asio::any_io_executor executor);
  void forget(const std::shared_ptr<UiListener>& listener);

  // True while a page listens. Without one, changed() and load_changed() build nothing: they run on every
  // registry change and at every request's start and end.
  bool has_listeners();

  // `part` changed: one event with its new value to every listener.
  void changed(UiPart part);
  // A request this node serves started or ended (`load` event).
  void load_changed();
  // A request ended: kept among the recent ones, and sent (`request` event).
  void request_done(const api::RequestRecord& record);
  // The node is about to re-exec itself (`restarting` event with `reason`) or to stop (`stopping`, when
  // `reason` is empty); then every stream ends, and later listeners are refused.
  void close_all(const std::string& reason);

 private:
  // The SSE record of one event, under a new id. Call with mutex_ held.
  std::string record(std::string_view event, const boost::json::value& data);
  void broadcast(std::string_view event, const boost::json::value& data, bool close = false);

  const UiSources sources_;
  std::mutex mutex_;
  uint64_t version_ = 0;
  std::deque<std::pair<api::RequestRecord, int64_t>> recent_;  // newest first, with when each ended (Unix ms)
  std::vector<std::shared_ptr<UiListener>> listeners_;
  bool closed_ = false;
};

// A RequestRecord as the UI shows it (RequestRecord in docs/ui-api.md): no prompt or answer text.
boost::json::object request_record_json(const api::RequestRecord& record, int64_t unix_ms);

// The request observer that tells the hub (held weakly: the hub may go first at shutdown).
class UiRequestObserver final : public api::RequestObserver {
 public:
  explicit UiRequestObserver(std::weak_ptr<UiHub> hub) : hub_(std::move(hub)) {}
  void request_done(const api::RequestRecord& record) override;

 private:
  std::weak_ptr<UiHub> hub_;
};

}  // namespace quorum::node::ui
