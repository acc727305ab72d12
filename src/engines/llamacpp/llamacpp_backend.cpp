#include "engines/llamacpp/llamacpp_backend.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <set>

#include "engines/llamacpp/job.h"

namespace quorum::engines::llamacpp {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

class JobStream final : public EventStream {
 public:
  explicit JobStream(std::shared_ptr<GenerationJob> job) : job_(std::move(job)) {}
  ~JobStream() override { job_->cancelled = true; }
  Task<std::optional<wire::StreamEvent>> next() override { return job_->sink->next(); }
  void cancel() override { job_->cancelled = true; }

 private:
  std::shared_ptr<GenerationJob> job_;
};

Result<std::string> completion_prompt(const json::object& body) {
  const json::value* p = body.if_contains("prompt");
  if (!p || p->is_null()) return ApiError::invalid_request("Missing required parameter: 'prompt'.", "prompt");
  if (p->is_string()) return std::string(p->get_string());
  if (p->is_array() && p->get_array().size() == 1 && p->get_array()[0].is_string()) {
    return std::string(p->get_array()[0].get_string());
  }
  return ApiError::invalid_request(
      "The embedded engine takes 'prompt' as one string (or an array holding one string).", "prompt");
}

// Inputs one embedding request may hold, as OpenAI's API allows: the vectors of more (an 8 MiB body holds two
// million one-letter inputs) could take gigabytes.
constexpr size_t kMaxEmbeddingInputs = 2048;

Result<std::vector<std::string>> embedding_inputs(const json::object& body) {
  const json::value* in = body.if_contains("input");
  if (!in || in->is_null()) return ApiError::invalid_request("Missing required parameter: 'input'.", "input");
  std::vector<std::string> out;
  if (in->is_string()) {
    out.emplace_back(in->get_string());
    return out;
  }
  if (in->is_array() && in->get_array().size() > kMaxEmbeddingInputs) {
    return ApiError::invalid_request("'input' holds " + std::to_string(in->get_array().size()) +
                                         " inputs; at most " + std::to_string(kMaxEmbeddingInputs) +
                                         " are allowed per request. Send them in several requests.",
                                     "input");
  }
  if (in->is_array() && !in->get_array().empty()) {
    for (const auto& v : in->get_array()) {
      if (!v.is_string()) {
        return ApiError::invalid_request(
            "The embedded engine takes 'input' as a string or an array of strings.", "input");
      }
      out.emplace_back(v.get_string());
    }
    return out;
  }
  return ApiError::invalid_request("'input' must be a non-empty string or array of strings.", "input");
}

// Carries one result from a model's thread back to a coroutine's executor.
template <class T>
struct OneShot : std::enable_shared_from_this<OneShot<T>> {
  explicit OneShot(const asio::any_io_executor& ex) : executor(ex), timer(ex) {}
  void set(T v) {
    asio::post(executor, [self = this->shared_from_this(), v = std::move(v)]() mutable {
      self->value.emplace(std::move(v));
      self->timer.cancel();
    });
  }
  Task<std::optional<T>> get() {
    while (!value) {
      timer.expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      auto state = co_await asio::this_coro::cancellation_state;
      if (state.cancelled() != asio::cancellation_type::none) break;
    }
    co_return std::move(value);
  }
  asio::any_io_executor executor;
  asio::steady_timer timer;
  std::optional<T> value;
};

}  // namespace

LlamaCppBackend::LlamaCppBackend(std::string name, std::string models_dir,
                                 std::vector<ConfiguredModel> models, ManagerOptions options)
    : name_(std::move(name)),
      slots_(options.model.slots),
      catalog_(std::move(models_dir), std::move(models)),
      manager_(options) {}

Task<Result<std::vector<ModelInfo>>> LlamaCppBackend::list_models() {
  auto found = catalog_.scan();
  std::vector<ModelInfo> models;
  std::set<std::string> present;
  for (const auto& m : found) {
    present.insert(m.id);
    models.push_back(ModelInfo{m.id, manager_.is_loaded(m.id), m.mtime, "llamacpp"});
  }
  manager_.retain(present);
  co_return models;
}

Result<std::shared_ptr<LoadedModel>> LlamaCppBackend::model_for(const std::string& id) {
  auto entry = catalog_.find(id);
  if (!entry) {
    return ApiError::not_found("The model '" + id + "' does not exist in " + catalog_.models_dir() + ".",
                               "model", "model_not_found");
  }
  if (!entry->problem.empty()) {
    return ApiError::server(
        500, "The model '" + id + "' cannot be served: " + entry->path + ": " + entry->problem + ".",
        "model_load_failed");
  }
  return manager_.acquire(*entry);
}

Status LlamaCppBackend::load(const std::string& id) {
  auto model = model_for(id);
  if (!model) return model.take_error();
  return Ok{};
}

template <class Job>
Status LlamaCppBackend::submit(const std::string& id, const std::shared_ptr<Job>& job,
                               const CallContext& context) {
  auto model = model_for(id);
  if (!model) return model.take_error();
  auto submitted = model.value()->submit(job);
  if (!submitted) return submitted;
  if (context.canceller) {
    context.canceller->on_cancel([weak = std::weak_ptr<Job>(job)] {
      if (auto j = weak.lock()) j->cancelled = true;
    });
  }
  return Ok{};
}

Task<Result<std::unique_ptr<EventStream>>> LlamaCppBackend::generate(const wire::GenerationRequest& request,
                                                                     const CallContext& context) {
  if (request.n != 1) {
    co_return ApiError::invalid_request(
        "The embedded engine generates one choice per request; 'n' must be 1.", "n");
  }
  auto params = parse_sampling_params(request);
  if (!params) co_return params.take_error();
  auto job = std::make_shared<GenerationJob>();
  job->chat = request.kind == wire::GenerationKind::kChat;
  if (job->chat) {
    if (const auto* m = request.body().if_contains("messages"); m && m->is_array())
      job->messages = m->get_array();
  } else {
    auto prompt = completion_prompt(request.body());
    if (!prompt) co_return prompt.take_error();
    job->prompt = std::move(prompt.value());
  }
  job->params = std::move(params.value());
  auto executor = co_await asio::this_coro::executor;
  job->sink = std::make_shared<EventSink>(executor);
  auto submitted = submit(request.model, job, context);
  if (!submitted) co_return submitted.take_error();
  co_return std::unique_ptr<EventStream>(std::make_unique<JobStream>(std::move(job)));
}

Task<Result<json::object>> LlamaCppBackend::embed(const wire::EmbeddingRequest& request,
                                                  const CallContext& context) {
  auto inputs = embedding_inputs(request.body);
  if (!inputs) co_return inputs.take_error();
  using Outcome = Result<Embeddings>;
  auto executor = co_await asio::this_coro::executor;
  auto result = std::make_shared<OneShot<Outcome>>(executor);
  auto job = std::make_shared<EmbeddingJob>();
  job->inputs = std::move(inputs.value());
  job->done = [result](Outcome outcome) { result->set(std::move(outcome)); };
  auto submitted = submit(request.model, job, context);
  if (!submitted) co_return submitted.take_error();
  auto outcome = co_await result->get();
  if (!outcome) co_return ApiError::client_closed();
  if (!*outcome) co_return outcome->take_error();
  const auto& vectors = outcome->value().vectors;
  const int64_t tokens = outcome->value().prompt_tokens;
  json::array data;
  for (size_t i = 0; i < vectors.size(); ++i) {
    json::array values;
    values.reserve(vectors[i].size());
    for (float x : vectors[i]) values.emplace_back(static_cast<double>(x));
    data.push_back(json::object{{"object", "embedding"}, {"index", i}, {"embedding", std::move(values)}});
  }
  co_return json::object{{"object", "list"},
                         {"data", std::move(data)},
                         {"model", request.model},
                         {"usage", json::object{{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
}

}  // namespace quorum::engines::llamacpp
