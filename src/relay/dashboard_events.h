// The dashboard's live view of a cluster (GET /api/clusters/{id}/events, docs/dashboard-api.md): every open
// stream subscribes to its cluster; the relay publishes an event (one SSE record: "event: …\ndata: …\n\n")
// to a cluster's subscribers when something changes there (a node connects, leaves or changes its STATUS;
// a key, member or invite changes; usage is written; an audit entry is added). Nothing polls.
//
// Memory: a subscriber whose stream does not drain (a slow or stalled browser) holds at most
// kMaxQueuedBytes; past that it is dropped (its stream ends; the browser reconnects and starts again from a
// snapshot). At most kMaxSubscribers streams are open at once.
//
// Single-threaded: used on the relay's executor only.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "relay/accounts.h"

namespace quorum::relay {

class EventSubscriber {
 public:
  EventSubscriber(const boost::asio::any_io_executor& executor, std::string user_id, Role role)
      : wake(executor), user_id_(std::move(user_id)), role_(role) {}
  // What was queued since the last call, concatenated ("" when nothing).
  std::string take();
  // True once it was dropped (over its queue's bound, or the relay stopping): end the stream.
  bool dropped() const { return dropped_; }
  // Waited on by the stream between events; cancelled when an event is queued or the subscriber dropped.
  boost::asio::steady_timer wake;

 private:
  friend class DashboardEvents;
  std::string user_id_;
  Role role_;  // events meant for a higher role (invites: admin and up) are not queued
  std::string pending_;
  bool dropped_ = false;
};

class DashboardEvents {
 public:
  static constexpr size_t kMaxQueuedBytes = size_t{1} << 20;
  static constexpr size_t kMaxSubscribers = 256;

  // A new subscriber to `cluster_id` (user `user_id`, a member with `role`); null when kMaxSubscribers are
  // open.
  std::shared_ptr<EventSubscriber> subscribe(const std::string& cluster_id, const std::string& user_id,
                                             Role role, const boost::asio::any_io_executor& executor);
  // Ends the streams of `user_id` in `cluster_id` (their role changed or they left): a page that reconnects
  // starts again from a snapshot of what it may see now.
  void drop_user(const std::string& cluster_id, const std::string& user_id);
  void unsubscribe(const std::shared_ptr<EventSubscriber>& subscriber);
  bool has_subscribers(const std::string& cluster_id) const;
  // Queues the event to every subscriber of `cluster_id` whose role is at least `min_role`.
  void publish(const std::string& cluster_id, std::string_view event, const boost::json::value& data,
               Role min_role = Role::viewer);
  // Drops every subscriber (the relay stops).
  void close_all();
  size_t subscribers() const;

  // One SSE record.
  static std::string record(std::string_view event, const boost::json::value& data);

 private:
  std::map<std::string, std::vector<std::shared_ptr<EventSubscriber>>> by_cluster_;
};

}  // namespace quorum::relay
