// The one point where every request the node generates for ends (chat, completions, embeddings): a
// RequestRecord goes to each observer — the log line, the metrics, and later usage per API key.
//
// Thread-safety: request_done() is called from every server thread; observers must be thread-safe.
#pragma once

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
