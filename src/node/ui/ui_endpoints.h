// The local UI's endpoints (docs/ui-api.md): its files at "/" and "/assets/…", and "/api/ui/…": the
// snapshot, the event stream and the writes. Api::handle sends here every request from loopback whose path
// is the UI's (is_ui_request); from anywhere else those paths are not found.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "net/http_server.h"
#include "node/ui/ui_hub.h"

namespace quorum::node::ui {

// What the UI's writes do, provided by the node. run() may block (it writes files, calls the relay): it runs
// on the UI's own worker thread, one write at a time.
class UiActions {
 public:
  virtual ~UiActions() = default;
  // Carries out `action` (the path after "/api/ui/": "node", "settings", "engines/add", "cluster/join", …)
  // with `body`. The answer's object goes to the page (with "ok": true added); an error in the API's shape.
  // An action it does not know: 404.
  virtual Result<boost::json::object> run(const std::string& action, const boost::json::object& body) = 0;
};

struct UiContext {
  std::shared_ptr<UiHub> hub;
  std::string token;                    // the per-launch token (ui_guard.h)
  UiActions* actions = nullptr;         // null: every write is refused (503)
  boost::asio::thread_pool workers{1};  // where UiActions::run runs
};

// Serves one request for a UI path from a loopback caller: checks Host, Origin and, for writes, the token,
// then answers. `request` and `writer` outlive the task; `ui` outlives the node's servers.
net::Task<void> serve_ui(UiContext& ui, net::HttpRequest& request, net::ResponseWriter& writer,
                         std::string request_id);

}  // namespace quorum::node::ui
