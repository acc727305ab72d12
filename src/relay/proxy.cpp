// One try of a request on a node over its relay link: the request written to a link stream as HTTP/1.1
// text, the answer parsed from the stream's pieces (relay/node_answer.h), no socket in between.
#include "relay/proxy.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "relay/node_answer.h"
#include "wire/sse.h"
#include "wire/stream_writer.h"

namespace quorum::relay {

namespace asio = net::asio;
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

// Reads from the stream until the node's answer has its head; false when the stream ended or failed first
// (`answer` says why when it was the bytes).
net::Task<bool> read_head(link::LinkStream& stream, NodeAnswer& answer) {
  while (!answer.head_done()) {
    auto data = co_await stream.read();
    if (!data) co_return false;
    if (data->empty()) {
      answer.end();  // the node ended before its head was whole: this says so in answer.error()
      co_return false;
    }
    if (!answer.feed(*data)) co_return false;
  }
  co_return true;
}

// The request as HTTP/1.1 text, field for field what Beast's serializer writes for it.
std::string request_text(const ProxyRequest& request) {
  std::string text = request.method == "GET" ? "GET " : "POST ";
  text += request.target;
  text += " HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n";
  if (!request.content_type.empty()) text += "Content-Type: " + request.content_type + "\r\n";
  text += "X-Quorum-Relay-Key: " + request.key_id + "\r\n";
  if (!request.request_id.empty()) text += "X-Request-Id: " + request.request_id + "\r\n";
  if (request.method != "GET") text += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  text += "\r\n";
  if (request.method != "GET") text += request.body;
  return text;
}

// Ends this side of the stream when the try is over: reset ("cancelled": the node stops its work) unless the
// answer was read whole (then END, as a client closing after its answer).
class StreamCloser {
 public:
  explicit StreamCloser(std::shared_ptr<link::LinkStream> stream) : stream_(std::move(stream)) {}
  StreamCloser(const StreamCloser&) = delete;
  StreamCloser& operator=(const StreamCloser&) = delete;
  ~StreamCloser() {
    if (!whole_) stream_->reset("cancelled");
  }
  net::Task<void> end_whole() {
    whole_ = true;
    co_await stream_->end();
  }

 private:
  std::shared_ptr<link::LinkStream> stream_;
  bool whole_ = false;
};

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
  StreamCloser closer(stream);
  const std::string text = request_text(request);
  if (!co_await stream->write(text)) {
    error = node_error(*node, "went away before it took the request");
    co_return TryOutcome::kRetry;
  }

  NodeAnswer answer;
  auto first = co_await (read_head(*stream, answer) || writer.wait_client_gone());
  if (first.index() == 1) co_return TryOutcome::kClientGone;
  if (!std::get<0>(first)) {
    error = node_error(*node, answer.failed() ? answer.error() : "went away before it answered");
    co_return TryOutcome::kRetry;
  }
  const int status = static_cast<int>(answer.status());

  net::Headers headers;
  for (const auto& [name, value] : answer.headers().items()) {
    if (passes_to_client(name)) headers.add(name, value);
  }
  const bool sse = answer.headers().get("content-type").starts_with("text/event-stream");

  std::string pending = answer.take_body();
  bool broken = false;  // the node went away, or sent what is not HTTP, before its answer was whole
  // Reads the next piece of the body into `pending`, whatever has arrived; false at its end or when the
  // node went away (`broken`).
  auto read_piece = [&]() -> net::Task<bool> {
    if (answer.done()) co_return false;
    auto data = co_await stream->read();
    if (!data) {
      broken = true;
      co_return false;
    }
    if (data->empty() ? !answer.end() : !answer.feed(*data)) broken = true;
    pending += answer.take_body();
    co_return !broken && !data->empty();
  };

  if (!sse) {
    // A complete answer (or a stream of another kind): read it all, then answer; a retryable failure of
    // the node is retried elsewhere.
    while (co_await read_piece()) {
    }
    if (broken) {
      error = node_error(*node, answer.failed() ? answer.error() : "went away while it answered");
      co_return TryOutcome::kRetry;
    }
    co_await closer.end_whole();
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
  // What came with the head goes out before the next read: it may hold the first token.
  for (bool more = true;;) {
    std::string whole = take_whole_events(pending);
    if (!whole.empty() && !co_await writer.write(whole)) co_return TryOutcome::kClientGone;
    if (!more) break;
    more = co_await read_piece();
  }
  if (broken) {
    // The node went away mid-stream: what it sent whole stands, then the error, in band.
    // (error_body is the whole {"error":{…}} event.)
    std::string what = "went away during the response";
    if (const auto& why = node->session->close_reason(); !why.empty()) what += " (" + why + ")";
    ApiError gone = node_error(*node, what);
    std::string tail = wire::sse_data(wire::error_body(gone)) + std::string(wire::kSseDone);
    co_await writer.end_stream(tail);
    co_return TryOutcome::kServed;
  }
  co_await closer.end_whole();
  co_await writer.end_stream(pending);
  co_return TryOutcome::kServed;
}

}  // namespace quorum::relay
