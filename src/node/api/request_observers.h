// The one point where every request the node generates for ends (chat, completions, embeddings): a
// RequestRecord goes to each observer — the log line, the metrics, and later usage per API key.
//
// Thread-safety: request_done() is called from every server thread; observers must be thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/metrics.h"
#include "router/route.h"
#include "wire/events.h"

namespace quorum::node::api {

struct RequestRecord {
  std::string endpoint;  // "chat", "completions", "embeddings"
  std::string method;
  std::string target;
  std::string request_id;
  std::string model;      // as the client named it; empty when the request could not be parsed
  router::Served served;  // who served (or was tried last); empty when no holder was found
  int status = 200;       // as the client saw it; 499 when the client left first
  std::string error_type;
  std::optional<double> ttft_seconds;  // time to the first token, when one came
  wire::Usage usage;
  double duration_seconds = 0;
  // A request of a relay client (auth::Caller::Kind::kRelayClient): its API key and the relay's request id.
  std::string key_id;
  std::string relay_request_id;
};

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void request_done(const RequestRecord& record) = 0;
};

class RequestObservers {
 public:
  void add(std::unique_ptr<RequestObserver> observer) { observers_.push_back(std::move(observer)); }
  void request_done(const RequestRecord& record) const {
    for (const auto& o : observers_) o->request_done(record);
  }

 private:
  std::vector<std::unique_ptr<RequestObserver>> observers_;
};

// A request under way: its record, and when it started. end() completes the record (status, error type,
// duration) and tells every observer. Call it once, on every path out of the endpoint.
class RequestTracker {
 public:
  using Clock = std::chrono::steady_clock;
  RequestTracker(const RequestObservers& observers, RequestRecord record)
      : observers_(observers), record_(std::move(record)) {}
  RequestRecord& record() { return record_; }
  Clock::time_point started() const { return started_; }
  void end(int status, const std::string& error_type = {}) {
    record_.status = status;
    record_.error_type = error_type;
    record_.duration_seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    observers_.request_done(record_);
  }

 private:
  const RequestObservers& observers_;
  RequestRecord record_;
  Clock::time_point started_ = Clock::now();
};

// One log line per request: method, path, model, engine, status, time to first token, tokens, duration, id.
class RequestLog final : public RequestObserver {
 public:
  void request_done(const RequestRecord& record) override;
};

// Requests, errors, time to first token and tokens, by endpoint, engine and model (node/metrics.h).
class RequestMetrics final : public RequestObserver {
 public:
  explicit RequestMetrics(Metrics& metrics) : metrics_(metrics) {}
  void request_done(const RequestRecord& record) override;

 private:
  Metrics& metrics_;
};

}  // namespace quorum::node::api
