#include "relay/dashboard_events.h"

#include <algorithm>
#include <boost/json/serialize.hpp>

namespace quorum::relay {

std::string EventSubscriber::take() {
  return std::exchange(pending_, std::string());
}

std::shared_ptr<EventSubscriber> DashboardEvents::subscribe(const std::string& cluster_id,
                                                            const std::string& user_id, Role role,
                                                            const boost::asio::any_io_executor& executor) {
  if (subscribers() >= kMaxSubscribers) return nullptr;
  auto s = std::make_shared<EventSubscriber>(executor, user_id, role);
  by_cluster_[cluster_id].push_back(s);
  return s;
}

void DashboardEvents::unsubscribe(const std::shared_ptr<EventSubscriber>& subscriber) {
  for (auto it = by_cluster_.begin(); it != by_cluster_.end();) {
    auto& list = it->second;
    list.erase(std::remove(list.begin(), list.end(), subscriber), list.end());
    it = list.empty() ? by_cluster_.erase(it) : std::next(it);
  }
}

void DashboardEvents::drop_user(const std::string& cluster_id, const std::string& user_id) {
  auto it = by_cluster_.find(cluster_id);
  if (it == by_cluster_.end()) return;
  auto& list = it->second;
  for (auto s = list.begin(); s != list.end();) {
    if ((*s)->user_id_ != user_id) {
      ++s;
      continue;
    }
    (*s)->dropped_ = true;
    (*s)->wake.cancel();
    s = list.erase(s);
  }
  if (list.empty()) by_cluster_.erase(it);
}

bool DashboardEvents::has_subscribers(const std::string& cluster_id) const {
  return by_cluster_.contains(cluster_id);
}

size_t DashboardEvents::subscribers() const {
  size_t n = 0;
  for (const auto& [id, list] : by_cluster_) n += list.size();
  return n;
}

std::string DashboardEvents::record(std::string_view event, const boost::json::value& data) {
  return "event: " + std::string(event) + "\ndata: " + boost::json::serialize(data) + "\n\n";
}

void DashboardEvents::publish(const std::string& cluster_id, std::string_view event,
                              const boost::json::value& data, Role min_role) {
  auto it = by_cluster_.find(cluster_id);
  if (it == by_cluster_.end()) return;
  const std::string text = record(event, data);
  auto& list = it->second;
  for (auto s = list.begin(); s != list.end();) {
    auto& sub = **s;
    if (static_cast<int>(sub.role_) < static_cast<int>(min_role)) {
      ++s;
      continue;
    }
    if (sub.pending_.size() + text.size() > kMaxQueuedBytes) {
      sub.dropped_ = true;  // its stream ends; the browser starts again from a snapshot
      sub.pending_.clear();
      sub.wake.cancel();
      s = list.erase(s);
      continue;
    }
    sub.pending_ += text;
    sub.wake.cancel();
    ++s;
  }
  if (list.empty()) by_cluster_.erase(it);
}

void DashboardEvents::close_all() {
  for (auto& [id, list] : by_cluster_) {
    for (auto& s : list) {
      s->dropped_ = true;
      s->wake.cancel();
    }
  }
  by_cluster_.clear();
}

}  // namespace quorum::relay
