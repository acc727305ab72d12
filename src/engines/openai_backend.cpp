#include "engines/openai_backend.h"

#include <boost/json.hpp>
#include <deque>

#include "core/spare_room.h"
#include "core/stage_marks.h"
#include "engines/engine_headers.h"
#include "wire/json_number.h"
#include "wire/openai_dialect.h"
#include "wire/openai_stream.h"

namespace quorum::engines {
namespace json = boost::json;

std::string normalize_engine_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() >= 3 && url.compare(url.size() - 3, 3, "/v1") == 0) url.resize(url.size() - 3);
  return url;
}

namespace {

// What generate() and embed() accept: an engine may answer a streaming request with one JSON body.
const char* const kAccept = "text/event-stream, application/json";

// Events from an engine that answered a streaming request with one JSON body anyway.
void events_from_response(const json::object& response, std::vector<wire::StreamEvent>& out) {
  if (auto it = response.find("choices"); it != response.end() && it->value().is_array()) {
    int position = 0;
    for (const auto& c : it->value().get_array()) {
      if (!c.is_object()) continue;
      json::object chunk_choice = c.get_object();
      if (auto m = chunk_choice.find("message"); m != chunk_choice.end()) {
        chunk_choice["delta"] = m->value();
        chunk_choice.erase("message");
      }
      if (!chunk_choice.contains("index")) chunk_choice["index"] = position;
      ++position;
      json::object chunk{{"choices", json::array{chunk_choice}}};
      wire::parse_openai_chunk(json::serialize(chunk), out);
    }
  }
  if (auto it = response.find("usage"); it != response.end() && it->value().is_object()) {
    wire::parse_openai_chunk(json::serialize(json::object{{"usage", it->value()}}), out);
  }
}

}  // namespace

StreamPaths& stream_paths() {
  static StreamPaths paths;
  return paths;
}

namespace {

// An engine's SSE body, read as it arrives (wire::OpenAiStreamReader does the reading). Each read goes from
// the response's buffer straight into the reader (it is the response's BodySink): wait() is the response's
// read_into(), with no frame of its own.
class SseEventStream final : public EventStream, private net::ClientResponse::BodySink {
 public:
  SseEventStream(std::unique_ptr<net::ClientResponse> response, const std::string& engine)
      : response_(std::move(response)),
        reader_(engine, stream_paths().pass_through.load(std::memory_order_relaxed)) {}

  ~SseEventStream() override {
    auto& paths = stream_paths();
    paths.passed_through.fetch_add(reader_.passed_through(), std::memory_order_relaxed);
    paths.parsed.fetch_add(reader_.parsed(), std::memory_order_relaxed);
  }

  Task<std::optional<wire::StreamEvent>> next() override {
    std::optional<wire::StreamEvent> event;
    while (!poll(event)) co_await wait();
    co_return event;
  }

  bool buffered() const override { return next_ < pending_.size(); }

  bool poll(std::optional<wire::StreamEvent>& event) override {
    if (next_ < pending_.size()) {
      event = std::move(pending_[next_++]);
      return true;
    }
    if (broken_ || reader_.ended()) {
      event.reset();
      return true;
    }
    return false;
  }

  bool waits() const override { return true; }

  Task<void> wait() override {
    give_room(pending_);  // not held while the engine is awaited
    next_ = 0;
    return response_->read_into(*this);
  }

  void cancel() override { response_->cancel(); }

  Task<void> finish() override {
    if (reader_.saw_done()) co_await response_->drain(std::chrono::milliseconds(1000));
  }

 private:
  void on_body(std::string_view bytes) override {
    take_room(pending_);
    reader_.feed(bytes, pending_);
  }
  void on_end() override { reader_.end_of_body(pending_); }
  void on_error(ApiError e) override {
    broken_ = true;
    if (e.status < 500) e.status = 502;
    e.message = "Engine '" + reader_.engine() + "' stream broke: " + e.message;
    take_room(pending_);
    pending_.emplace_back(wire::StreamError{std::move(e)});
  }

  std::unique_ptr<net::ClientResponse> response_;
  wire::OpenAiStreamReader reader_;
  bool broken_ = false;  // the read failed: its error is the stream's last event
  std::vector<wire::StreamEvent> pending_;
  size_t next_ = 0;  // the first of pending_ not yet returned
};

// Replays a fixed list of events (an engine that ignored "stream": true).
class ListEventStream final : public EventStream {
 public:
  explicit ListEventStream(std::vector<wire::StreamEvent> events) : events_(std::move(events)) {}
  Task<std::optional<wire::StreamEvent>> next() override {
    if (pos_ >= events_.size()) co_return std::nullopt;
    co_return std::move(events_[pos_++]);
  }
  void cancel() override { pos_ = events_.size(); }

 private:
  std::vector<wire::StreamEvent> events_;
  size_t pos_ = 0;
};

}  // namespace

OpenAiBackend::OpenAiBackend(std::string name, std::string base_url, net::ClientOptions options,
                             RequestSigner signer)
    : name_(std::move(name)),
      base_(normalize_engine_url(std::move(base_url))),
      options_(std::move(options)),
      signer_(std::move(signer)) {}

Task<Result<std::unique_ptr<net::ClientResponse>>> OpenAiBackend::send(std::string method, std::string path,
                                                                       net::Headers headers, std::string body,
                                                                       net::ClientOptions options) const {
  if (signer_) signer_(headers, method, path, body);
  std::string url = base_ + path;
  auto response = co_await net::http_request(std::move(method), std::move(url), std::move(headers),
                                             std::move(body), std::move(options));
  if (response) answers_.answered();
  co_return response;
}

Task<Result<std::vector<ModelInfo>>> OpenAiBackend::list_models() {
  net::ClientOptions o = options_;
  o.head_timeout = std::chrono::milliseconds(5000);
  o.read_idle_timeout = std::chrono::milliseconds(5000);
  auto r = co_await send("GET", "/v1/models", {}, {}, o);
  if (!r) co_return r.take_error();
  auto body = co_await (*r)->read_all(size_t{16} << 20);
  if (!body) co_return body.take_error();
  if ((*r)->status() != 200) co_return wire::engine_error((*r)->status(), *body, name_);
  json::error_code ec;
  json::value v = json::parse(*body, ec);
  std::vector<ModelInfo> models;
  if (ec || !v.is_object() || !v.get_object().contains("data") || !v.at("data").is_array()) {
    co_return ApiError::server(502, "Engine '" + name_ + "' answered /v1/models with an unexpected body.");
  }
  for (const auto& m : v.at("data").get_array()) {
    if (!m.is_object()) continue;
    const auto& o2 = m.get_object();
    auto id = o2.find("id");
    if (id == o2.end() || !id->value().is_string()) continue;
    ModelInfo info;
    info.id = std::string(id->value().get_string());
    info.loaded = true;
    if (auto st = o2.find("status"); st != o2.end() && st->value().is_object()) {
      // llama-server router mode: {"status":{"value":"loaded"|"unloaded"|…}}
      auto val = st->value().get_object().find("value");
      if (val != st->value().get_object().end() && val->value().is_string()) {
        info.loaded = val->value().get_string() == "loaded";
      }
    }
    if (auto c = o2.find("created"); c != o2.end() && c->value().is_int64())
      info.created = c->value().get_int64();
    if (auto ob = o2.find("owned_by"); ob != o2.end() && ob->value().is_string()) {
      info.owned_by = std::string(ob->value().get_string());
    }
    models.push_back(std::move(info));
  }
  co_return models;
}

Task<Result<std::unique_ptr<EventStream>>> OpenAiBackend::generate(const wire::GenerationRequest& request,
                                                                   const CallContext& context) {
  std::string path = request.kind == wire::GenerationKind::kChat ? "/v1/chat/completions" : "/v1/completions";
  net::ClientOptions o = options_;
  o.canceller = context.canceller;
  std::string upstream = wire::openai_upstream_json(request, request.model);
  stage::mark(stage::Stage::kUpstreamBodyMade);
  auto r = co_await send("POST", path, json_headers(context, kAccept), std::move(upstream), o);
  if (!r) co_return r.take_error();
  auto& response = *r;
  if (response->status() < 200 || response->status() >= 300) {
    auto text = co_await response->read_all(size_t{1} << 20);
    co_return wire::engine_error(response->status(), text ? *text : std::string(), name_);
  }
  if (response->headers().get("Content-Type").find("application/json") != std::string_view::npos) {
    auto text = co_await response->read_all();
    if (!text) co_return text.take_error();
    json::error_code ec;
    json::value v = json::parse(*text, ec);
    if (ec || !v.is_object())
      co_return ApiError::server(502, "Engine '" + name_ + "' sent a malformed response.");
    std::vector<wire::StreamEvent> events;
    events_from_response(v.get_object(), events);
    co_return std::unique_ptr<EventStream>(std::make_unique<ListEventStream>(std::move(events)));
  }
  co_return std::unique_ptr<EventStream>(std::make_unique<SseEventStream>(std::move(response), name_));
}

Task<Result<json::object>> OpenAiBackend::embed(const wire::EmbeddingRequest& request,
                                                const CallContext& context) {
  json::object body = request.body;
  body["encoding_format"] = "float";  // the node re-encodes for the client; engines differ on base64
  net::ClientOptions o = options_;
  o.canceller = context.canceller;
  auto r = co_await send("POST", "/v1/embeddings", json_headers(context, kAccept), json::serialize(body), o);
  if (!r) co_return r.take_error();
  auto text = co_await (*r)->read_all();
  if (!text) co_return text.take_error();
  if ((*r)->status() != 200) co_return wire::engine_error((*r)->status(), *text, name_);
  json::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object() || wire::find_non_finite(v))  // 1e400 would reach the client as `Infinity`
    co_return ApiError::server(502, "Engine '" + name_ + "' sent malformed embeddings.");
  co_return std::move(v.get_object());
}

}  // namespace quorum::engines
