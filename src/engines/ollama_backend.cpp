#include "engines/ollama_backend.h"

#include <boost/json.hpp>
#include <deque>

#include "engines/engine_headers.h"
#include "engines/openai_backend.h"
#include "wire/ollama_dialect.h"
#include "wire/openai_stream.h"
#include "wire/sse.h"

namespace quorum::engines {
namespace json = boost::json;

namespace {

class NdjsonEventStream final : public EventStream {
 public:
  NdjsonEventStream(std::unique_ptr<net::ClientResponse> response, std::string engine)
      : response_(std::move(response)), engine_(std::move(engine)) {}

  Task<std::optional<wire::StreamEvent>> next() override {
    while (pending_.empty()) {
      if (ended_) co_return std::nullopt;
      auto piece = co_await response_->read_some();
      if (!piece) {
        ended_ = true;
        ApiError e = piece.take_error();
        if (e.status < 500) e.status = 502;
        e.message = "Engine '" + engine_ + "' stream broke: " + e.message;
        co_return wire::StreamEvent{wire::StreamError{std::move(e)}};
      }
      lines_.clear();
      if (piece->empty()) {
        ended_ = true;
        if (auto rest = splitter_.take_rest(); !rest.empty()) lines_.push_back(std::move(rest));
      } else {
        splitter_.feed(*piece, lines_);
      }
      std::vector<wire::StreamEvent> events;
      for (const auto& line : lines_) {
        if (!parser_.feed(line, events)) break;
      }
      for (auto& e : events) pending_.push_back(std::move(e));
      if (parser_.done()) ended_ = true;
      if (splitter_.overflowed() && !parser_.done()) {
        ended_ = true;
        pending_.push_back(wire::StreamError{wire::engine_event_too_large(engine_)});
        continue;
      }
      if (ended_ && !parser_.done()) {
        pending_.push_back(wire::StreamError{ApiError::server(
            502, "Engine '" + engine_ + "' closed the stream before the generation finished.")});
      }
    }
    auto event = std::move(pending_.front());
    pending_.pop_front();
    co_return event;
  }

  void cancel() override { response_->cancel(); }

 private:
  std::unique_ptr<net::ClientResponse> response_;
  std::string engine_;
  wire::LineSplitter splitter_;
  wire::OllamaStreamParser parser_;
  std::vector<std::string> lines_;
  std::deque<wire::StreamEvent> pending_;
  bool ended_ = false;
};

}  // namespace

OllamaBackend::OllamaBackend(std::string name, std::string base_url, net::ClientOptions options)
    : name_(std::move(name)),
      base_(normalize_engine_url(std::move(base_url))),
      options_(std::move(options)) {}

Task<Result<std::vector<ModelInfo>>> OllamaBackend::list_models() {
  net::ClientOptions o = options_;
  o.head_timeout = std::chrono::milliseconds(5000);
  o.read_idle_timeout = std::chrono::milliseconds(5000);
  auto r = co_await net::http_request("GET", base_ + "/api/tags", {}, {}, o);
  if (!r) co_return r.take_error();
  auto body = co_await (*r)->read_all(size_t{16} * 1024 * 1024);
  if (!body) co_return body.take_error();
  if ((*r)->status() != 200) co_return wire::ollama_error((*r)->status(), *body, name_);
  auto tags = wire::parse_ollama_tags(*body);
  if (!tags) co_return tags.take_error();
  std::vector<std::string> loaded;
  if (auto ps = co_await net::http_request("GET", base_ + "/api/ps", {}, {}, o);
      ps && (*ps)->status() == 200) {
    if (auto text = co_await (*ps)->read_all(1 << 20)) loaded = wire::parse_ollama_ps(*text);
  }
  std::vector<ModelInfo> models;
  for (const auto& t : tags.value()) {
    ModelInfo m;
    m.id = t.name;
    m.created = t.modified;
    m.owned_by = "ollama";
    m.loaded = std::find(loaded.begin(), loaded.end(), t.name) != loaded.end();
    models.push_back(std::move(m));
  }
  co_return models;
}

Task<Result<std::unique_ptr<EventStream>>> OllamaBackend::generate(const wire::GenerationRequest& request,
                                                                   const CallContext& context) {
  const bool chat = request.kind == wire::GenerationKind::kChat;
  auto body = chat ? wire::ollama_chat_body(request, request.model)
                   : wire::ollama_generate_body(request, request.model);
  if (!body) co_return body.take_error();
  net::ClientOptions o = options_;
  o.canceller = context.canceller;
  auto r = co_await net::http_request("POST", base_ + (chat ? "/api/chat" : "/api/generate"),
                                      json_headers(context), json::serialize(body.value()), o);
  if (!r) co_return r.take_error();
  answers_.answered();
  if ((*r)->status() != 200) {
    auto text = co_await (*r)->read_all(1 << 20);
    co_return wire::ollama_error((*r)->status(), text ? *text : std::string(), name_);
  }
  co_return std::unique_ptr<EventStream>(std::make_unique<NdjsonEventStream>(std::move(*r), name_));
}

Task<Result<json::object>> OllamaBackend::embed(const wire::EmbeddingRequest& request,
                                                const CallContext& context) {
  net::ClientOptions o = options_;
  o.canceller = context.canceller;
  auto r = co_await net::http_request("POST", base_ + "/api/embed", json_headers(context),
                                      json::serialize(wire::ollama_embed_body(request, request.model)), o);
  if (!r) co_return r.take_error();
  answers_.answered();
  auto text = co_await (*r)->read_all();
  if (!text) co_return text.take_error();
  if ((*r)->status() != 200) co_return wire::ollama_error((*r)->status(), *text, name_);
  co_return wire::ollama_embeddings_response(*text, request.model);
}

}  // namespace quorum::engines
