// Backend: the one contract between the router and every engine (ARCHITECTURE.md "Inside a node").
// An adapter (openai-compatible, ollama, embedded llama.cpp) implements it; nothing above it knows which.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cancel.h"
#include "core/result.h"
#include "net/http_types.h"
#include "wire/events.h"
#include "wire/request.h"

namespace quorum::engines {

using net::Task;

struct ModelInfo {
  std::string id;
  bool loaded = false;  // warm: answering needs no load
  int64_t created = 0;  // Unix seconds, 0 when the engine does not say
  std::string owned_by;
};

// A running generation. Events arrive in order; the stream ends with nullopt, after a Finish per choice and a
// Usage (when the engine reports one), or after a StreamError. Destroying the stream or calling cancel()
// stops the generation on the engine. Use it on the executor that created it.
class EventStream {
 public:
  virtual ~EventStream() = default;
  virtual Task<std::optional<wire::StreamEvent>> next() = 0;
  // True when next() would return without waiting for the engine (events of one read still to hand out):
  // the caller may gather them into one write to its client. Optional; the default says false.
  virtual bool buffered() const { return false; }
  // next() in two halves, for the per-token path of a stream that can take it: the caller's own coroutine
  // waits for the engine's reads, and no frame of the adapter's carries each event back up.
  //  - poll(): when next() would return without waiting for the engine, sets `event` to what it would return
  //    (an event, or nullopt at the end) and returns true; else returns false and changes nothing.
  //  - wait(): REQUIRES waits() and poll() false just before. Waits for one read of the engine's and takes
  //    it in: afterwards poll() has the next event or the end, or (a read that completed no event) false
  //    again, and wait() is awaited again. Every wait() ends in a read or the stream's end.
  // Mixing them with next() is allowed. By default poll() is false and waits() too: next() does it all.
  virtual bool poll(std::optional<wire::StreamEvent>& event) {
    (void)event;
    return false;
  }
  virtual bool waits() const { return false; }
  virtual Task<void> wait() { co_return; }
  virtual void cancel() = 0;
  // Called after next() returned the end: lets the adapter read what is left of the engine's response so that
  // its connection can be reused. Optional; the default does nothing.
  virtual Task<void> finish() { co_return; }
};

// Per-call context handed down from the API layer.
struct CallContext {
  std::string request_id;
  // Cancelled when the client goes away: the adapter aborts the engine request at whatever stage it is.
  CancellerPtr canceller;
};

// When an engine last answered: written by its requests, read by the registry's probe, from any thread.
class AnswerClock {
 public:
  void answered() {
    ticks_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  }
  std::chrono::steady_clock::time_point last() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(ticks_.load(std::memory_order_relaxed)));
  }

 private:
  std::atomic<std::chrono::steady_clock::rep> ticks_{0};
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Unique within the node, e.g. "ollama" or the NAME of --engine NAME=URL.
  virtual const std::string& name() const = 0;
  // The adapter type: "openai", "ollama" or "llamacpp".
  virtual std::string_view type() const = 0;
  // Where the engine is, for logs and `quorum models` (a URL, or a path for embedded engines).
  virtual const std::string& location() const = 0;

  // How many generations the engine serves well at once (the router's measure of "busy"). An external
  // engine is taken to serve 4 well (llama-server's default slots).
  virtual int capacity() const { return 4; }
  // Stops what the adapter runs itself (threads, loaded models) before the executors its requests run on are
  // destroyed. Idempotent. Adapters that run nothing of their own need not override it.
  virtual void shutdown() {}

  // The models the engine offers now. Fails with 502/503/504 when the engine is unreachable.
  virtual Task<Result<std::vector<ModelInfo>>> list_models() = 0;

  // When the engine last answered a request of any kind (its response head arrived), or the epoch if never
  // or if the adapter does not tell. The registry keeps an engine that answers requests up while its
  // own probe goes unanswered: under load a slow /v1/models means busy, not down. Any thread.
  virtual std::chrono::steady_clock::time_point last_answered() const { return {}; }

  // Starts a chat or text completion (request.kind). Fails before any event with the error the client should
  // see (a 4xx from the engine keeps its status; an unreachable engine is 502/503, a timeout 504).
  // Thread-safety: may be called from any executor concurrently; the stream lives on the caller's executor.
  virtual Task<Result<std::unique_ptr<EventStream>>> generate(const wire::GenerationRequest& request,
                                                              const CallContext& context) = 0;

  // Embeddings: returns the OpenAI response object with float arrays (the API layer re-encodes as asked).
  virtual Task<Result<boost::json::object>> embed(const wire::EmbeddingRequest& request,
                                                  const CallContext& context) = 0;
};

}  // namespace quorum::engines
