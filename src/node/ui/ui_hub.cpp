#include "node/ui/ui_hub.h"

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cmath>

namespace quorum::node::ui {

namespace json = boost::json;

namespace {

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A part's event name and the source that builds it.
struct PartSource {
  std::string_view event;
  std::function<json::value()> UiSources::*source;
};

PartSource part_source(UiPart part) {
  switch (part) {
    case UiPart::kNode:
      return {"node", &UiSources::node};
    case UiPart::kNodes:
      return {"nodes", &UiSources::nodes};
    case UiPart::kModels:
      return {"models", &UiSources::models};
    case UiPart::kEngines:
      return {"engines", &UiSources::engines};
    case UiPart::kRelay:
      return {"relay", &UiSources::relay};
    case UiPart::kCluster:
      return {"cluster", &UiSources::cluster};
    case UiPart::kSettings:
      return {"settings", &UiSources::settings};
    case UiPart::kModelsFolder:
      return {"models_folder", &UiSources::models_folder};
    case UiPart::kUpdate:
      return {"update", &UiSources::update};
  }
  return {"node", &UiSources::node};
}

json::value build(const std::function<json::value()>& source) {
  return source ? source() : json::value(nullptr);
}

}  // namespace

std::string UiListener::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(pending_, std::string());
}

bool UiListener::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void UiListener::push(const std::string& record, bool close) {
  {
    std::lock_guard lock(mutex_);
    pending_ += record;
    closed_ = closed_ || close;
  }
  // The stream waits on `wake` between events; the wait ends on its own executor.
  boost::asio::post(wake.get_executor(), [self = shared_from_this()] { self->wake.cancel(); });
}

json::object request_record_json(const api::RequestRecord& r, int64_t unix_ms) {
  json::object o{{"at", unix_ms},
                 {"request_id", r.request_id},
                 {"endpoint", r.endpoint},
                 {"model", r.model},
                 {"node_id", r.served.node_id},
                 {"node_name", r.served.node_name},
                 {"engine", r.served.engine},
                 {"status", r.status},
                 {"error_type", r.error_type},
                 {"duration_ms", std::llround(r.duration_seconds * 1000.0)},
                 {"prompt_tokens", r.usage.prompt_tokens},
                 {"completion_tokens", r.usage.completion_tokens}};
  if (r.ttft_seconds) {
    o["ttft_ms"] = std::llround(*r.ttft_seconds * 1000.0);
  } else {
    o["ttft_ms"] = nullptr;
  }
  return o;
}

json::object UiHub::snapshot() {
  // The parts are built outside the lock (they take the registries' locks); the version is read first, so
  // an event that comes between is sent again after the snapshot rather than lost.
  uint64_t version = 0;
  json::array recent;
  {
    std::lock_guard lock(mutex_);
    version = version_;
    for (const auto& [r, at] : recent_) recent.push_back(request_record_json(r, at));
  }
  return json::object{
      {"version", version},
      {"node", build(sources_.node)},
      {"nodes", build(sources_.nodes)},
      {"models", build(sources_.models)},
      {"engines", build(sources_.engines)},
      {"requests", json::object{{"in_flight", sources_.in_flight ? sources_.in_flight() : 0},
                                {"recent", std::move(recent)}}},
      {"relay", build(sources_.relay)},
      {"cluster", build(sources_.cluster)},
      {"settings", build(sources_.settings)},
      {"models_folder", build(sources_.models_folder)},
      {"update", build(sources_.update)},
  };
}

std::shared_ptr<UiListener> UiHub::listen(boost::asio::any_io_executor executor) {
  auto listener = std::make_shared<UiListener>(std::move(executor));
  {
    std::lock_guard lock(mutex_);
    if (closed_ || listeners_.size() >= kMaxListeners) return nullptr;
    listeners_.push_back(listener);
  }
  // Registered first, then the snapshot: an event in between reaches the listener after it (the page
  // applies it again, harmlessly: every event is a whole part).
  json::object snap = snapshot();
  std::string first;
  {
    std::lock_guard lock(mutex_);
    first = "id: " + std::to_string(version_) + "\nevent: snapshot\ndata: " + json::serialize(snap) + "\n\n";
  }
  {
    std::lock_guard lock(listener->mutex_);
    listener->pending_.insert(0, first);
  }
  return listener;
}

void UiHub::forget(const std::shared_ptr<UiListener>& listener) {
  std::lock_guard lock(mutex_);
  std::erase(listeners_, listener);
}

std::string UiHub::record(std::string_view event, const json::value& data) {
  ++version_;
  std::string out = "id: " + std::to_string(version_) + "\nevent: ";
  out.append(event);
  out += "\ndata: ";
  out += json::serialize(data);
  out += "\n\n";
  return out;
}

void UiHub::broadcast(std::string_view event, const json::value& data, bool close) {
  std::vector<std::shared_ptr<UiListener>> to;
  std::string text;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (listeners_.empty() && !close) {
      ++version_;  // the event happened; nobody to send it to, so it is not written
      return;
    }
    text = record(event, data);
    to = listeners_;
    if (close) {
      closed_ = true;
      listeners_.clear();
    }
  }
  for (const auto& l : to) l->push(text, close);
}

bool UiHub::has_listeners() {
  std::lock_guard lock(mutex_);
  return !listeners_.empty();
}

void UiHub::changed(UiPart part) {
  // Nobody to tell: nothing is built (a page that opens later starts from a fresh snapshot).
  if (!has_listeners()) return;
  const PartSource p = part_source(part);
  broadcast(p.event, build(sources_.*p.source));
}

void UiHub::load_changed() {
  if (!has_listeners()) return;
  broadcast("load", json::object{{"in_flight", sources_.in_flight ? sources_.in_flight() : 0}});
}

void UiHub::request_done(const api::RequestRecord& record) {
  // Kept as it is: JSON is made only for a page (a snapshot, or the event below when one listens).
  const int64_t at = unix_ms_now();
  {
    std::lock_guard lock(mutex_);
    recent_.emplace_front(record, at);
    if (recent_.size() > kRecentRequests) recent_.pop_back();
    if (listeners_.empty()) {
      ++version_;  // as broadcast() counts an event nobody hears
      return;
    }
  }
  broadcast("request", json::object{{"record", request_record_json(record, at)},
                                    {"in_flight", sources_.in_flight ? sources_.in_flight() : 0}});
}

void UiHub::close_all(const std::string& reason) {
  if (reason.empty()) {
    broadcast("stopping", json::object{}, /*close=*/true);
  } else {
    broadcast("restarting", json::object{{"reason", reason}}, /*close=*/true);
  }
}

void UiRequestObserver::request_done(const api::RequestRecord& record) {
  if (auto hub = hub_.lock()) hub->request_done(record);
}

}  // namespace quorum::node::ui
