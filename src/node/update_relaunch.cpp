#include "node/update_relaunch.h"

#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "core/log.h"
#include "net/http_client.h"
#include "node/relaunch.h"
#include "update/feed_io.h"
#include "update/trial.h"

namespace quorum::node {

namespace asio = boost::asio;

namespace {

std::vector<char*> c_argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

// The version /health reports, or nullopt when it does not answer 200 within a second.
std::optional<std::string> health_version(const std::string& url) {
  net::ClientOptions options;
  options.connect_timeout = options.head_timeout = options.read_idle_timeout = std::chrono::seconds(1);
  auto task = [](std::string url, net::ClientOptions options) -> asio::awaitable<std::optional<std::string>> {
    auto response = co_await net::http_request("GET", url, {}, "", options);
    if (!response || (*response)->status() != 200) co_return std::nullopt;
    auto body = co_await (*response)->read_all(1 << 20);
    if (!body) co_return std::nullopt;
    boost::system::error_code ec;
    auto v = boost::json::parse(*body, ec);
    if (ec || !v.is_object()) co_return std::nullopt;
    auto* version = v.as_object().if_contains("version");
    if (!version || !version->is_string()) co_return std::nullopt;
    co_return std::string(version->as_string());
  };
  asio::io_context ctx;
  auto future = asio::co_spawn(ctx, task(url, options), asio::use_future);
  ctx.run();
  return future.get();
}

// The process exists and is not a zombie.
bool process_alive(int pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

class RealTrial : public update::TrialIo {
 public:
  explicit RealTrial(const TrialOptions& o) : o_(o) {}
  std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
  void pause(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }
  bool alive() override { return process_alive(o_.pid); }
  std::optional<std::string> health_version() override { return node::health_version(o_.health_url); }
  void stop() override {
    ::kill(o_.pid, SIGKILL);
    for (int i = 0; i < 50 && process_alive(o_.pid); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string restore() override { return update::restore_previous(o_.previous, o_.target); }
  std::string start_previous(const std::string& why) override {
    log::warn("update: " + o_.expect + " rolled back (" + why + "); starting the previous binary again");
    ::setenv(kRolledBackVariable, (o_.expect + ": " + why).c_str(), 1);
    std::vector<std::string> args = o_.args;
    auto argv = c_argv(args);
    close_inherited_descriptors();
    ::execv(o_.target.c_str(), argv.data());
    return std::string("exec ") + o_.target + ": " + std::strerror(errno);
  }

 private:
  const TrialOptions& o_;
};

}  // namespace

std::string relaunch_into_update(const UpdateHandoff& handoff, const std::string& health_url,
                                 const std::vector<std::string>& args, const std::string& ui_token) {
  if (args.empty()) return "the node's command line was not recorded";
  ::setenv(kUiTokenVariable, ui_token.c_str(), 1);
  close_inherited_descriptors();  // neither the watchdog nor the new node keeps what this run held
  std::vector<std::string> watch = {"quorum",     "update-trial",
                                    "--pid",      std::to_string(::getpid()),
                                    "--health",   health_url,
                                    "--expect",   handoff.version,
                                    "--timeout",  std::to_string(handoff.trial_timeout.count()),
                                    "--target",   handoff.target,
                                    "--previous", handoff.previous,
                                    "--"};
  watch.insert(watch.end(), args.begin(), args.end());
  auto watch_argv = c_argv(watch);
  // The watchdog runs the previous binary (the code this process is), detached from us by a double fork so
  // the new node never has a child to reap.
  const pid_t child = ::fork();
  if (child < 0) return std::string("fork: ") + std::strerror(errno);
  if (child == 0) {
    if (::fork() == 0) {
      ::execv(handoff.previous.c_str(), watch_argv.data());
      ::_exit(127);
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  std::vector<std::string> node_args = args;
  auto argv = c_argv(node_args);
  ::execv(handoff.target.c_str(), argv.data());
  return std::string("exec ") + handoff.target + ": " + std::strerror(errno);
}

int run_update_trial(const TrialOptions& options) {
  RealTrial io(options);
  auto result = update::run_trial(io, options.expect, std::chrono::seconds(options.timeout_seconds));
  switch (result.outcome) {
    case update::TrialOutcome::confirmed:
      log::info("update: " + options.expect + " serves; the previous binary stays at " + options.previous);
      return 0;
    case update::TrialOutcome::rolled_back:
      log::warn("update: rolled back: " + result.why);
      return 1;
    case update::TrialOutcome::rollback_failed:
      log::error("update: rollback failed: " + result.why);
      return 2;
  }
  return 2;
}

}  // namespace quorum::node
