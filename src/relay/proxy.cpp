// Beast's HTTP parser for the relay's side of a node's answer: this TU and the server's only.
#include "relay/proxy.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "link/bridge.h"
#include "wire/sse.h"
#include "wire/stream_writer.h"

namespace quorum::relay {

namespace asio = net::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr std::string_view kPassedHeaders[] = {"content-type", "cache-control", "x-accel-buffering",
                                               "retry-after",  "x-request-id",  "openai-processing-ms"};

ApiError node_error(const ConnectedNode& node, std::string_view what) {
  return ApiError::server(502, "Node '" + node.name + "' " + std::string(what) + ".", "node_gone");
}

// Splits what arrived into the whole SSE events (forwarded now) and the rest (kept for later).
std::string take_whole_events(std::string& pending) {
  const auto end = pending.rfind("\n\n");
  if (end == std::string::npos) return {};
  std::string whole = pending.substr(0, end + 2);
  pending.erase(0, end + 2);
  return whole;
}

struct Counted {
  explicit Counted(ConnectedNode& n) : node(n) { ++node.relayed; }
  ~Counted() { --node.relayed; }
  ConnectedNode& node;
};

net::Task<void> read_head(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                          http::response_parser<http::buffer_body>& parser, beast::error_code& ec) {
  co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
}

}  // namespace

bool passes_to_client(std::string_view name) {
  if (name.size() > 9 && net::iequals(name.substr(0, 9), "x-quorum-")) return true;
  for (auto h : kPassedHeaders) {
    if (net::iequals(name, h)) return true;
  }
  return false;
}

net::Task<TryOutcome> proxy_to_node(std::shared_ptr<ConnectedNode> node, const ProxyRequest& request,
                                    net::ResponseWriter& writer, ApiError& error) {
  Counted counted(*node);
  auto executor = co_await asio::this_coro::executor;
  boost::json::object open{{"kind", "api"}, {"key_id", request.key_id}};
  auto stream = node->session->open(boost::json::serialize(open));
  if (!stream) {
    error = node_error(*node, "has no room for another request on its link");
    co_return TryOutcome::kRetry;
  }
  auto socket = link::bridge_to_socket(stream, node->session->executor(), executor);
  if (!socket) {
    error = socket.error();
    co_return TryOutcome::kRetry;
  }
  beast::tcp_stream upstream(std::move(*socket));

  http::request<http::string_body> req{request.method == "GET" ? http::verb::get : http::verb::post,
                                       request.target, 11};
  req.set(http::field::host, "relay");
  req.set(http::field::connection, "close");
  if (!request.content_type.empty()) req.set(http::field::content_type, request.content_type);
  req.set("X-Quorum-Relay-Key", request.key_id);
  if (!request.request_id.empty()) req.set("X-Request-Id", request.request_id);
  if (request.method != "GET") {
    req.body() = request.body;
    req.prepare_payload();
  }
  beast::error_code ec;
  co_await http::async_write(upstream, req, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    error = node_error(*node, "went away before it took the request");
    co_return TryOutcome::kRetry;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  auto first = co_await (read_head(upstream, buffer, parser, ec) || writer.wait_client_gone());
  if (first.index() == 1) {
    upstream.close();
    co_return TryOutcome::kClientGone;
  }
  if (ec) {
    error = node_error(*node, "went away before it answered");
    co_return TryOutcome::kRetry;
  }
  const auto& head = parser.get();
  const unsigned status = head.result_int();

  net::Headers headers;
  for (const auto& field : head) {
    if (passes_to_client(field.name_string()))
      headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  const bool sse = head[http::field::content_type].starts_with("text/event-stream");

  std::array<char, size_t{16} * 1024> piece;
  std::string pending;
  bool began = false;
  // Reads the next piece of the body into `pending`, whatever has arrived (async_read_some: async_read
  // would wait for a whole `piece`, holding tokens back until 16 KiB of them came); false at its end or
  // when the node went away (`ec`).
  auto read_piece = [&]() -> net::Task<bool> {
    if (parser.is_done()) co_return false;
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    co_await http::async_read_some(upstream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return false;
    pending.append(piece.data(), piece.size() - parser.get().body().size);
    co_return true;
  };

  if (!sse) {
    // A complete answer (or a stream of another kind): read it all, then answer; a retryable failure of
    // the node is retried elsewhere.
    while (co_await read_piece()) {
    }
    if (ec) {
      error = node_error(*node, "went away while it answered");
      co_return TryOutcome::kRetry;
    }
    if (status == 502 || status == 503 || status == 504) {
      boost::system::error_code jec;
      auto v = boost::json::parse(pending, jec);
      error = ApiError::server(status, "Node '" + node->name + "' could not serve the request.");
      if (!jec && v.is_object() && v.as_object().contains("error") && v.as_object().at("error").is_object()) {
        const auto& e = v.as_object().at("error").as_object();
        if (auto* m = e.if_contains("message"); m && m->is_string())
          error.message = std::string(m->as_string());
        if (auto* c = e.if_contains("code"); c && c->is_string()) error.code = std::string(c->as_string());
      }
      co_return TryOutcome::kRetry;
    }
    co_return co_await writer.send(status, headers, std::move(pending)) ? TryOutcome::kServed
                                                                        : TryOutcome::kClientGone;
  }

  if (!co_await writer.begin_stream(status, headers)) co_return TryOutcome::kClientGone;
  while (co_await read_piece()) {
    std::string whole = take_whole_events(pending);
    if (whole.empty()) continue;
    began = true;
    if (!co_await writer.write(whole)) {
      upstream.close();
      co_return TryOutcome::kClientGone;
    }
  }
  if (ec) {
    // The node went away mid-stream: what it sent whole stands, then the error, in band.
    // (error_body is the whole {"error":{…}} event.)
    std::string what = "went away during the response";
    if (const auto& why = node->session->close_reason(); !why.empty()) what += " (" + why + ")";
    ApiError gone = node_error(*node, what);
    std::string tail = wire::sse_data(wire::error_body(gone)) + std::string(wire::kSseDone);
    co_await writer.end_stream(tail);
    co_return TryOutcome::kServed;
  }
  (void)began;
  co_await writer.end_stream(pending);
  co_return TryOutcome::kServed;
}

}  // namespace quorum::relay
