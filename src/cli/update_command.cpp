#include "cli/update_command.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/client_commands.h"
#include "core/version.h"
#include "net/http_client.h"
#include "update/feed_io.h"
#include "update/release_key.h"
#include "update/updater.h"

namespace quorum::cli {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

struct Reply {
  int status = 0;  // 0: no answer
  std::string body;
};

Reply http(const std::string& method, const std::string& url, const std::string& token = "",
           const std::string& body = "") {
  net::ClientOptions options;
  options.connect_timeout = options.head_timeout = options.read_idle_timeout = std::chrono::seconds(5);
  net::Headers headers;
  if (method == "POST") {
    headers.add("Content-Type", "application/json");
    headers.add("X-Quorum-UI-Token", token);
  }
  auto task = [](std::string method, std::string url, net::Headers headers, std::string body,
                 net::ClientOptions options) -> asio::awaitable<Reply> {
    auto response = co_await net::http_request(method, url, std::move(headers), std::move(body), options);
    if (!response) co_return Reply{};
    auto all = co_await (*response)->read_all(8 << 20);
    co_return Reply{(*response)->status(), all ? std::move(all.value()) : std::string()};
  };
  asio::io_context ctx;
  auto future = asio::co_spawn(ctx, task(method, url, std::move(headers), body, options), asio::use_future);
  ctx.run();
  return future.get();
}

json::object update_part(const std::string& base) {
  Reply r = http("GET", base + "/api/ui/snapshot");
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (r.status != 200 || ec || !v.is_object()) return {};
  auto* u = v.as_object().if_contains("update");
  return u && u->is_object() ? u->as_object() : json::object{};
}

std::string text(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The page's per-launch token, from the index.html the node serves.
std::string ui_token(const std::string& base) {
  Reply r = http("GET", base + "/");
  const std::string marker = "name=\"quorum-ui-token\" content=\"";
  auto at = r.body.find(marker);
  if (at == std::string::npos) return "";
  auto start = at + marker.size();
  return r.body.substr(start, r.body.find('"', start) - start);
}

int through_node(const std::string& base, const UpdateOptions& o) {
  json::object u = update_part(base);
  if (!u.if_contains("feed") || !u["feed"].is_bool() || !u["feed"].as_bool()) {
    std::cerr << "quorum update: the node at " << base
              << " has no release feed (quorum node --update-feed URL)\n";
    return 1;
  }
  const std::string current = text(u, "current");
  Reply r = http("POST", base + (o.check_only ? "/api/ui/update/check" : "/api/ui/update/apply"),
                 ui_token(base), "{}");
  if (r.status != 200) {
    std::cerr << "quorum update: the node refused (" << r.status << "): " << r.body << "\n";
    return 1;
  }
  // Checked, or applied: the node relaunches (its /health reports the new version) or rolls back.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(15);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    json::object now = update_part(base);
    const std::string state = text(now, "state");
    if (now.empty()) continue;  // relaunching
    if (text(now, "current") != current) {
      std::cout << "updated: " << current << " -> " << text(now, "current") << "\n";
      return 0;
    }
    if (state == "checking" || state == "downloading" || state == "verifying" || state == "replacing" ||
        state == "ready") {
      continue;
    }
    if (state == "failed") {
      std::cerr << "quorum update: " << text(now, "error") << "\n";
      return 1;
    }
    if (state == "up_to_date") {
      std::cout << "up to date: " << current << "\n";
      return 0;
    }
    if (state == "available" && o.check_only) {
      std::cout << "update available: " << current << " -> " << text(now, "available") << "\n";
      return 3;
    }
  }
  std::cerr << "quorum update: no outcome from the node within 15 minutes\n";
  return 1;
}

int standalone(const UpdateOptions& o) {
  std::string feed = o.feed;
  if (feed.empty()) {
    if (const char* env = std::getenv("QUORUM_UPDATE_FEED"); env && *env) feed = env;
  }
  if (feed.empty()) feed = std::string(update::default_update_feed());
  if (feed.empty()) {
    std::cerr << "quorum update: no release feed (--feed URL or $QUORUM_UPDATE_FEED)\n";
    return 1;
  }
  const std::string target = update::running_executable();
  if (update::managed_by_package(target)) {
    std::cerr << "quorum update: " << target << " was installed by apt; update with apt\n";
    return 1;
  }
  update::FeedIo io(feed);
  update::Updater updater(io, std::string(update::release_public_key_pem()), quorum::version(),
                          update::UpdatePaths::beside(target));
  const auto& checked = updater.check(o.allow_downgrade);
  if (checked.state == update::UpdateState::failed) {
    std::cerr << "quorum update: " << checked.error << "\n";
    return 1;
  }
  if (checked.state == update::UpdateState::up_to_date) {
    std::cout << "up to date: " << checked.current << " (the feed has " << checked.available << ")\n";
    return 0;
  }
  if (o.check_only) {
    std::cout << "update available: " << checked.current << " -> " << checked.available << "\n";
    return 3;
  }
  const auto& applied = updater.apply();
  if (applied.state != update::UpdateState::ready) {
    std::cerr << "quorum update: " << applied.error << "\n";
    return 1;
  }
  std::cout << "updated " << target << " to " << applied.available << " (the previous binary is "
            << updater.paths().previous << "); the next start runs it\n";
  return 0;
}

}  // namespace

int run_update(const UpdateOptions& options) {
  const std::string base = node_url(options.node_url);
  if (http("GET", base + "/health").status == 200) return through_node(base, options);
  return standalone(options);
}

}  // namespace quorum::cli
