#include "node/ui/ui_endpoints.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <chrono>

#include "core/log.h"
#include "node/api/browser_guard.h"
#include "node/api/responses.h"
#include "node/ui/ui_assets.h"
#include "node/ui/ui_guard.h"

namespace quorum::node::ui {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kKeepAlive = std::chrono::seconds(15);
constexpr std::string_view kApiPrefix = "/api/ui/";

std::string_view path_of(std::string_view target) {
  const size_t q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

ApiError ui_error(int status, std::string message, std::string code) {
  return ApiError{status, "invalid_request_error", std::move(message), std::nullopt, std::move(code)};
}

net::Task<void> serve_file(net::HttpRequest& request, net::ResponseWriter& writer, const std::string& token) {
  UiFile file = ui_file(embedded_assets(), path_of(request.target), token);
  net::Headers headers;
  headers.add("Content-Type", file.content_type);
  headers.add("X-Content-Type-Options", "nosniff");
  // Not in a frame of another site (clickjacking the Settings page).
  headers.add("X-Frame-Options", "DENY");
  headers.add("Content-Security-Policy", "frame-ancestors 'none'");
  if (!file.etag.empty()) headers.add("ETag", file.etag);
  headers.add("Cache-Control", file.immutable ? "public, max-age=31536000, immutable" : "no-store");
  if (!file.etag.empty() && request.headers.get("If-None-Match") == file.etag) {
    std::string none;
    co_await writer.send(304, headers, std::move(none));
    co_return;
  }
  std::string body = std::move(file.body);
  co_await writer.send(file.status, headers, std::move(body));
}

net::Task<void> serve_events(UiContext& ui, net::ResponseWriter& writer, std::string request_id) {
  auto executor = co_await asio::this_coro::executor;
  auto listener = ui.hub->listen(executor);
  if (!listener) {
    ApiError busy = ApiError::server(503, "Too many UI pages are open on this node; close some.", "ui_busy");
    co_await api::reply_error(writer, std::move(busy), std::move(request_id));
    co_return;
  }
  net::Headers headers;
  headers.add("Content-Type", "text/event-stream");
  headers.add("Cache-Control", "no-store");
  headers.add("X-Accel-Buffering", "no");
  if (co_await writer.begin_stream(200, headers)) {
    while (true) {
      std::string batch = listener->take();
      if (!batch.empty()) {
        if (!co_await writer.write(batch)) break;
        continue;
      }
      if (listener->closed()) {
        co_await writer.end_stream();
        break;
      }
      listener->wake.expires_after(kKeepAlive);
      auto wait = listener->wake.async_wait(asio::as_tuple(asio::use_awaitable));
      auto gone = writer.wait_client_gone();
      auto woke = co_await (std::move(wait) || std::move(gone));
      if (woke.index() == 1) break;  // the page went away
      const auto [ec] = std::get<0>(woke);
      if (!ec && !co_await writer.write(": keep-alive\n\n")) break;  // the timer ran out: nothing new
    }
  }
  ui.hub->forget(listener);
}

net::Task<void> serve_write(UiContext& ui, net::HttpRequest& request, net::ResponseWriter& writer,
                            std::string action, std::string request_id) {
  if (!ui_token_matches(request.headers.get("X-Quorum-UI-Token"), ui.token)) {
    ApiError refused =
        ui_error(403,
                 "This change needs the token of the node's own page: reload the page from the "
                 "node (http://127.0.0.1:<port>/).",
                 "ui_token");
    co_await api::reply_error(writer, std::move(refused), std::move(request_id));
    co_return;
  }
  if (!api::content_type_is_json(request.headers.get("Content-Type"))) {
    ApiError refused = api::unsupported_media_type(request.headers.get("Content-Type"));
    co_await api::reply_error(writer, std::move(refused), std::move(request_id));
    co_return;
  }
  boost::system::error_code ec;
  json::value body = request.body.empty() ? json::value(json::object()) : json::parse(request.body, ec);
  if (ec || !body.is_object()) {
    ApiError refused = ApiError::invalid_request("The body must be a JSON object.");
    co_await api::reply_error(writer, std::move(refused), std::move(request_id));
    co_return;
  }
  if (!ui.actions) {
    ApiError refused = ApiError::server(503, "This node takes no changes from its page.");
    co_await api::reply_error(writer, std::move(refused), std::move(request_id));
    co_return;
  }
  UiActions* actions = ui.actions;
  json::object args = std::move(body.as_object());
  // co_spawn's result must be default-constructible: the Result travels in an optional.
  auto work = [actions, action, args = std::move(args)]() -> net::Task<std::optional<Result<json::object>>> {
    co_return actions->run(action, args);
  };
  auto task = work();
  auto ran = co_await asio::co_spawn(ui.workers, std::move(task), asio::use_awaitable);
  Result<json::object> done = std::move(*ran);
  if (!done) {
    log::info("ui: " + action + " refused: " + done.error().message);
    co_await api::reply_error(writer, done.take_error(), std::move(request_id));
    co_return;
  }
  log::info("ui: " + action + " done");
  json::value answer = std::move(*done);
  answer.as_object()["ok"] = true;
  co_await api::send_json(writer, 200, answer, request_id);
}

}  // namespace

net::Task<void> serve_ui(UiContext& ui, net::HttpRequest& request, net::ResponseWriter& writer,
                         std::string request_id) {
  const std::string_view host = request.headers.get("Host");
  if (!loopback_host(host)) {
    ApiError refused = ui_error(421,
                                "The node's page answers only at http://127.0.0.1, http://localhost or "
                                "http://[::1] (this request named '" +
                                    std::string(host.substr(0, 100)) + "').",
                                "misdirected_host");
    co_await api::reply_error(writer, std::move(refused), std::move(request_id));
    co_return;
  }
  const std::string_view origin = request.headers.get("Origin");
  if (!api::origin_allowed(origin)) {
    ApiError refused = api::forbidden_origin(origin);
    co_await api::reply_error(writer, std::move(refused), std::move(request_id));
    co_return;
  }
  const std::string path(path_of(request.target));
  const bool read = request.method == "GET" || request.method == "HEAD";
  if (is_ui_file_path(path)) {
    if (!read) {
      ApiError refused = ui_error(405, "Use GET for the node's page.", "method_not_allowed");
      co_await api::reply_error(writer, std::move(refused), std::move(request_id));
      co_return;
    }
    co_await serve_file(request, writer, ui.token);
    co_return;
  }
  const std::string action = path.size() > kApiPrefix.size() ? path.substr(kApiPrefix.size()) : std::string();
  if (action == "snapshot" || action == "events") {
    if (!read) {
      ApiError refused = ui_error(405, "Use GET for /api/ui/" + action + ".", "method_not_allowed");
      co_await api::reply_error(writer, std::move(refused), std::move(request_id));
      co_return;
    }
    if (action == "events") {
      co_await serve_events(ui, writer, std::move(request_id));
      co_return;
    }
    const json::value snapshot = ui.hub->snapshot();
    co_await api::send_json(writer, 200, snapshot, request_id);
    co_return;
  }
  if (request.method != "POST") {
    ApiError refused = ui_error(405, "Use POST for /api/ui/" + action + ".", "method_not_allowed");
    co_await api::reply_error(writer, std::move(refused), std::move(request_id));
    co_return;
  }
  co_await serve_write(ui, request, writer, action, std::move(request_id));
}

}  // namespace quorum::node::ui
