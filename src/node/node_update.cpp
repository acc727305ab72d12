#include "node/node_update.h"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <cstdlib>

#include "core/log.h"
#include "core/version.h"
#include "update/feed_io.h"
#include "update/release_key.h"

namespace quorum::node {

namespace json = boost::json;
namespace asio = boost::asio;

NodeUpdate::NodeUpdate(UpdateConfig config, std::string executable, asio::any_io_executor executor,
                       std::function<void()> changed, std::function<void(UpdateHandoff)> relaunch)
    : config_(std::move(config)),
      executable_(std::move(executable)),
      managed_by_apt_(update::managed_by_package(executable_)),
      timer_(std::move(executor)),
      changed_(std::move(changed)),
      relaunch_(std::move(relaunch)) {
  status_.current = quorum::version();
  if (const char* rolled_back = std::getenv(kRolledBackVariable)) {
    const std::string what = rolled_back;
    rolled_back_version_ = what.substr(0, what.find(':'));
    rolled_back_error_ = "the update to " + what + "; rolled back to this version";
    status_.state = update::UpdateState::failed;
    status_.error = rolled_back_error_;
    ::unsetenv(kRolledBackVariable);
  }
}

NodeUpdate::~NodeUpdate() {
  stop();
}

void NodeUpdate::start() {
  if (config_.feed.empty()) return;
  if (update::release_key_is_development()) {
    log::warn("update: this build trusts the development release key (packaging/keys): for tests only");
  }
  schedule(std::chrono::seconds(0));
}

void NodeUpdate::stop_timer() {
  timer_.cancel();
}

void NodeUpdate::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  if (worker_.joinable()) worker_.join();
}

void NodeUpdate::schedule(std::chrono::steady_clock::duration after) {
  timer_.expires_after(after);
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->run(false);  // busy or stopped: skipped, the next one is scheduled anyway
    self->schedule(self->config_.check_every);
  });
}

json::value NodeUpdate::status_json() const {
  std::lock_guard lock(mutex_);
  json::object o{{"current", status_.current},
                 {"state", std::string(update::state_name(status_.state))},
                 {"feed", !config_.feed.empty()},
                 {"managed", managed_by_apt_ ? json::value("apt") : json::value(nullptr)}};
  o["available"] = status_.available.empty() ? json::value(nullptr) : json::value(status_.available);
  o["error"] = status_.error.empty() ? json::value(nullptr) : json::value(status_.error);
  return o;
}

void NodeUpdate::set_state(const update::UpdateStatus& status) {
  {
    std::lock_guard lock(mutex_);
    status_ = status;
  }
  if (changed_) changed_();
}

Result<json::object> NodeUpdate::check() {
  return run(false);
}

Result<json::object> NodeUpdate::apply() {
  if (managed_by_apt_) {
    return ApiError{409, "invalid_request_error", "Quorum was installed by apt: update it with apt.",
                    std::nullopt, std::string("update_managed")};
  }
  return run(true);
}

Result<json::object> NodeUpdate::run(bool apply) {
  if (config_.feed.empty()) {
    return ApiError{409, "invalid_request_error", "No release feed is configured (--update-feed).",
                    std::nullopt, std::string("update_no_feed")};
  }
  std::lock_guard lock(mutex_);
  if (stopped_) return ApiError::server(503, "The node is stopping.");
  if (busy_) {
    return ApiError{409, "invalid_request_error", "An update check is already under way.", std::nullopt,
                    std::string("update_busy")};
  }
  busy_ = true;
  status_.state = update::UpdateState::checking;  // before the POST is answered: a poller sees no stale state
  status_.error.clear();
  if (worker_.joinable()) worker_.join();  // the previous run has ended (busy_ was false)
  worker_ = std::thread([this, apply] {
    update::FeedIo io(config_.feed);
    update::Updater updater(io, std::string(update::release_public_key_pem()), quorum::version(),
                            update::UpdatePaths::beside(executable_));
    auto step = [&](update::UpdateState s) {
      auto st = updater.status();
      st.state = s;
      set_state(st);
    };
    step(update::UpdateState::checking);
    updater.check();
    auto checked = updater.status();
    if (checked.state == update::UpdateState::available && checked.available == rolled_back_version_) {
      checked.state = update::UpdateState::failed;  // the release that was just rolled back: not again
      checked.error = rolled_back_error_;
      set_state(checked);
      std::lock_guard lock(mutex_);
      busy_ = false;
      return;
    }
    set_state(checked);
    if (apply && updater.status().state == update::UpdateState::available) {
      step(update::UpdateState::downloading);
      updater.apply();
      set_state(updater.status());
    }
    const auto final = updater.status();
    if (final.state == update::UpdateState::failed) log::warn("update: " + final.error);
    if (final.state == update::UpdateState::available)
      log::info("update: " + final.available + " is available");
    {
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
    if (final.state == update::UpdateState::ready) {
      log::info("update: " + final.available + " installed at " + executable_ + "; relaunching into it");
      relaunch_({executable_, updater.paths().previous, final.available, config_.trial_timeout});
    }
  });
  return json::object{{"state", apply ? "applying" : "checking"}};
}

}  // namespace quorum::node
