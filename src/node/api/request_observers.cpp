#include "node/api/request_observers.h"

#include <cstdio>

#include "core/log.h"

namespace quorum::node::api {

void RequestLog::request_done(const RequestRecord& r) {
  if (!log::enabled(log::Level::kInfo)) return;
  char buf[256];
  std::snprintf(buf, sizeof(buf), " status=%d ttft_ms=%s tokens=%lld duration_ms=%.1f id=%s", r.status,
                r.ttft_seconds ? std::to_string(static_cast<int64_t>(*r.ttft_seconds * 1000)).c_str() : "-",
                static_cast<long long>(r.usage.completion_tokens), r.duration_seconds * 1000,
                r.request_id.c_str());
  // Names and targets are what a client (or a peer) chose: capped and escaped, so one request is one line.
  log::info(r.method + " " + log::printable(r.target, 256) +
            " model=" + (r.model.empty() ? "-" : log::printable(r.model)) +
            " engine=" + (r.served.engine.empty() ? "-" : log::printable(r.served.engine)) + buf);
}

void RequestMetrics::request_done(const RequestRecord& r) {
  const std::string& engine = r.served.engine;
  // A model that no engine or peer held is whatever the client typed: one label for all of them.
  const std::string model = engine.empty() ? kUnknownModelLabel : r.model;
  metrics_.request_done(r.endpoint, engine, model, r.status, r.duration_seconds);
  if (!r.error_type.empty()) metrics_.error(r.endpoint, engine, model, r.error_type);
  if (r.ttft_seconds) metrics_.time_to_first_token(engine, model, *r.ttft_seconds);
  if (!engine.empty()) metrics_.tokens(engine, model, r.usage.prompt_tokens, r.usage.completion_tokens);
}

}  // namespace quorum::node::api
