// Test doubles for the router: a scripted engine (Backend), a peer directory, and a way to run a coroutine
// to its end. No sockets, no root, no clocks beyond Asio's own.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <set>

#include "engines/backend.h"
#include "router/peer_directory.h"
#include "router/route.h"

namespace quorum::router::testing {

namespace asio = boost::asio;

// An engine whose answers are set by the test.
class FakeBackend final : public engines::Backend {
 public:
  FakeBackend(std::string name, const std::vector<std::string>& models, bool loaded = true)
      : name_(std::move(name)) {
    set_models(models, loaded);
  }

  std::optional<ApiError> start_error;    // generate() fails before any event with it
  std::vector<wire::StreamEvent> events;  // else: the stream yields these, then ends
  bool hang_after_events = false;         // ...then waits until cancelled (a silent engine)
  bool polls = false;                     // its streams take poll() and wait() too (as an engine's SSE does)
  int polled = 0;                         // events its streams handed out through poll()
  std::optional<ApiError> embed_error;    // embed() fails with it
  bool embed_hangs = false;               // embed() waits until cancelled
  int capacity_ = 4;

  int generate_calls = 0;
  int embed_calls = 0;
  std::string last_model;  // the model id the last call named
  CancellerPtr last_canceller;
  int streams_destroyed = 0;

  const std::string& name() const override { return name_; }
  std::string_view type() const override { return "fake"; }
  const std::string& location() const override { return name_; }
  int capacity() const override { return capacity_; }
  // list_models() fails with `list_error` when set; with `answers_while_listing`, the engine answers another
  // request while the probe waits (a busy engine).
  std::optional<ApiError> list_error;
  bool answers_while_listing = false;
  engines::AnswerClock answers;
  std::chrono::steady_clock::time_point last_answered() const override { return answers.last(); }
  // When set, list_models() waits for it (cancel it to let every waiting probe answer); list_calls counts
  // the probes.
  std::shared_ptr<asio::steady_timer> list_gate;
  int list_calls = 0;
  // What list_models() offers from now on.
  void set_models(const std::vector<std::string>& models, bool loaded = true) {
    models_.clear();
    for (const auto& m : models) models_.push_back(engines::ModelInfo{m, loaded});
  }
  Task<Result<std::vector<engines::ModelInfo>>> list_models() override {
    ++list_calls;
    if (auto gate = list_gate) {
      boost::system::error_code ec;
      co_await gate->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (answers_while_listing) answers.answered();
    if (list_error) co_return *list_error;
    co_return models_;
  }

  Task<Result<std::unique_ptr<engines::EventStream>>> generate(const wire::GenerationRequest& request,
                                                               const engines::CallContext& context) override {
    ++generate_calls;
    last_model = request.model;
    last_canceller = context.canceller;
    if (start_error) co_return *start_error;
    co_return std::unique_ptr<engines::EventStream>(
        std::make_unique<Stream>(*this, events, hang_after_events, polls, context.canceller));
  }

  Task<Result<boost::json::object>> embed(const wire::EmbeddingRequest& request,
                                          const engines::CallContext& context) override {
    ++embed_calls;
    last_model = request.model;
    last_canceller = context.canceller;
    if (embed_hangs) {
      co_await wait_cancelled(context.canceller);
      co_return ApiError{499, "invalid_request_error", "cancelled", std::nullopt, std::nullopt};
    }
    if (embed_error) co_return *embed_error;
    co_return boost::json::object{{"object", "list"}, {"model", request.model}, {"engine", name_}};
  }

  // Completes once `canceller` is cancelled.
  static Task<void> wait_cancelled(CancellerPtr canceller) {
    asio::steady_timer timer(co_await asio::this_coro::executor,
                             std::chrono::steady_clock::time_point::max());
    canceller->on_cancel([&timer] { timer.cancel(); });
    boost::system::error_code ec;
    if (!canceller->cancelled()) co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    canceller->on_cancel(nullptr);
  }

 private:
  class Stream final : public engines::EventStream {
   public:
    Stream(FakeBackend& owner, std::vector<wire::StreamEvent> events, bool hang, bool polls,
           CancellerPtr canceller)
        : owner_(owner),
          events_(std::move(events)),
          hang_(hang),
          polls_(polls),
          canceller_(std::move(canceller)) {}
    ~Stream() override { ++owner_.streams_destroyed; }
    // The events one by one, then (hanging) nothing until wait() saw the cancel, then its error, the end.
    bool poll(std::optional<wire::StreamEvent>& event) override {
      if (!polls_) return false;
      if (next_ < events_.size()) {
        event = events_[next_++];
      } else if (tail_) {
        event = std::exchange(tail_, std::nullopt);
      } else if (hang_ && !ended_) {
        return false;
      } else {
        event.reset();
        return true;
      }
      ++owner_.polled;
      return true;
    }
    bool waits() const override { return polls_; }
    Task<void> wait() override {
      co_await wait_cancelled(canceller_);
      ended_ = true;
      tail_ = wire::StreamEvent{wire::StreamError{ApiError::server(502, "cancelled")}};
    }
    Task<std::optional<wire::StreamEvent>> next() override {
      if (next_ < events_.size()) co_return events_[next_++];
      if (hang_ && !ended_) {
        co_await wait_cancelled(canceller_);
        ended_ = true;
        co_return wire::StreamEvent{wire::StreamError{ApiError::server(502, "cancelled")}};
      }
      co_return std::nullopt;
    }
    void cancel() override { canceller_->cancel(); }

   private:
    FakeBackend& owner_;
    std::vector<wire::StreamEvent> events_;
    size_t next_ = 0;
    bool hang_;
    bool polls_;
    bool ended_ = false;
    std::optional<wire::StreamEvent> tail_;  // the error after the hang, for poll()
    CancellerPtr canceller_;
  };

  std::string name_;
  std::vector<engines::ModelInfo> models_;
};

// The cluster as the test describes it.
class FakePeers final : public PeerDirectory {
 public:
  struct Peer {
    PeerCandidate candidate;
    std::set<std::string> models;
    bool reachable = true;
    std::shared_ptr<FakeBackend> backend;
  };
  std::map<std::string, Peer> peers;
  std::map<std::string, int> forwarded;  // node id -> requests in flight to it now
  std::map<std::string, int> max_forwarded;
  struct Watcher {
    std::string id;
    asio::any_io_executor executor;
    std::function<void()> on_lost;
  };
  std::shared_ptr<std::map<int, Watcher>> watchers = std::make_shared<std::map<int, Watcher>>();
  int next_watch = 0;

  std::shared_ptr<FakeBackend> add(const std::string& id, std::vector<std::string> models, bool loaded = true,
                                   int in_flight = 0, int capacity = 4) {
    auto backend = std::make_shared<FakeBackend>(id, models, loaded);
    peers[id] = Peer{{id, id, loaded, in_flight, capacity}, {models.begin(), models.end()}, true, backend};
    return backend;
  }
  // The peer stops answering: watchers are told, as the cluster's heartbeats would.
  void lose(const std::string& id) {
    peers[id].reachable = false;
    for (auto it = watchers->begin(); it != watchers->end();) {
      if (it->second.id == id) {
        asio::post(it->second.executor, std::move(it->second.on_lost));
        it = watchers->erase(it);
      } else {
        ++it;
      }
    }
  }

  std::vector<PeerCandidate> holders(const std::string& model) const override {
    std::vector<PeerCandidate> out;
    for (const auto& [id, p] : peers) {
      if (p.reachable && p.models.count(model)) out.push_back(p.candidate);
    }
    return out;
  }
  bool is_reachable(const std::string& id) const override {
    auto it = peers.find(id);
    return it != peers.end() && it->second.reachable;
  }
  std::vector<std::string> unreachable_holders(const std::string& model) const override {
    std::vector<std::string> out;
    for (const auto& [id, p] : peers) {
      if (!p.reachable && p.models.count(model)) out.push_back(p.candidate.name);
    }
    return out;
  }
  std::shared_ptr<engines::Backend> backend_for(const std::string& id) override {
    auto it = peers.find(id);
    return it == peers.end() ? nullptr : it->second.backend;
  }
  void forwarding(const std::string& id, int delta) override {
    forwarded[id] += delta;
    max_forwarded[id] = std::max(max_forwarded[id], forwarded[id]);
  }
  Subscription watch(const std::string& id, const asio::any_io_executor& executor,
                     std::function<void()> on_lost) override {
    if (!is_reachable(id)) {
      asio::post(executor, std::move(on_lost));
      return {};
    }
    int n = next_watch++;
    watchers->emplace(n, Watcher{id, executor, std::move(on_lost)});
    return Subscription([w = std::weak_ptr<std::map<int, Watcher>>(watchers), n] {
      if (auto live = w.lock()) live->erase(n);
    });
  }
};

// Runs `task` on `io` until everything it started is done; returns its result (rethrows its exception).
inline void run(asio::io_context& io, Task<void> task) {
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) { failure = e; });
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);
}

template <class T>
T run(asio::io_context& io, Task<T> task) {
  std::optional<T> out;
  auto keep = [](Task<T> t, std::optional<T>& into) -> Task<void> { into.emplace(co_await std::move(t)); };
  run(io, keep(std::move(task), out));
  return std::move(*out);
}

}  // namespace quorum::router::testing
