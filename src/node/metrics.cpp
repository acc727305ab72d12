#include "node/metrics.h"

#include <charconv>
#include <cstdio>
#include <iterator>
#include <sstream>
#include <string_view>

#include "core/log.h"
#include "engines/openai_backend.h"

namespace quorum::node {

std::string prometheus_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

namespace {

// A label as it is stored: the value itself when it is printable ASCII within the cap (every usual name),
// else its printable rendering, kept in `storage`.
std::string_view label(std::string_view value, std::string& storage) {
  if (log::printable_as_is(value, kMaxLabelBytes)) return value;
  storage = log::printable(value, kMaxLabelBytes);
  return storage;
}

// The value of the series named by `parts`, made (zero) the first time.
template <class Map, class... Parts>
typename Map::mapped_type& series(Map& map, Parts... parts) {
  const auto key = std::make_tuple(std::string_view(parts)...);
  auto it = map.find(key);
  if (it == map.end())
    it = map.emplace(typename Map::key_type(std::string(parts)...), typename Map::mapped_type{}).first;
  return it->second;
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

}  // namespace

void Metrics::Histogram::observe(double v) {
  for (size_t i = 0; i < std::size(kBounds); ++i) {
    if (v <= kBounds[i]) ++buckets[i];
  }
  ++count;
  sum += v;
}

void Metrics::request_done(const std::string& endpoint, const std::string& engine, const std::string& model,
                           int status, double duration) {
  std::string engine_storage, model_storage;
  const std::string_view e = label(engine, engine_storage), m = label(model, model_storage);
  char status_text[16];
  const auto end = std::to_chars(std::begin(status_text), std::end(status_text), status).ptr;
  const std::string_view s(status_text, static_cast<size_t>(end - status_text));
  std::lock_guard lock(mutex_);
  ++series(requests_, std::string_view(endpoint), e, m, s);
  series(durations_, std::string_view(endpoint), e, m).observe(duration);
}

void Metrics::error(const std::string& endpoint, const std::string& engine, const std::string& model,
                    const std::string& type) {
  std::string engine_storage, model_storage, type_storage;
  const std::string_view e = label(engine, engine_storage), m = label(model, model_storage);
  const std::string_view t = label(type, type_storage);
  std::lock_guard lock(mutex_);
  ++series(errors_, std::string_view(endpoint), e, m, t);
}

void Metrics::time_to_first_token(const std::string& engine, const std::string& model, double seconds) {
  std::string engine_storage, model_storage;
  const std::string_view e = label(engine, engine_storage), m = label(model, model_storage);
  std::lock_guard lock(mutex_);
  series(ttft_, e, m).observe(seconds);
}

void Metrics::tokens(const std::string& engine, const std::string& model, int64_t prompt,
                     int64_t completion) {
  std::string engine_storage, model_storage;
  const std::string_view e = label(engine, engine_storage), m = label(model, model_storage);
  std::lock_guard lock(mutex_);
  series(prompt_tokens_, e, m) += prompt;
  series(completion_tokens_, e, m) += completion;
}

void Metrics::in_flight(const std::string& engine, const std::string& model, int delta) {
  std::string engine_storage, model_storage;
  const std::string_view e = label(engine, engine_storage), m = label(model, model_storage);
  std::lock_guard lock(mutex_);
  series(in_flight_, e, m) += delta;
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::ostringstream o;
  auto labels2 = [](const Key2& k) {
    return "engine=\"" + prometheus_label(std::get<0>(k)) + "\",model=\"" + prometheus_label(std::get<1>(k)) +
           "\"";
  };
  auto histogram = [&](const std::string& name, const std::string& labels, const Histogram& h) {
    for (size_t i = 0; i < std::size(Histogram::kBounds); ++i) {
      o << name << "_bucket{" << labels << ",le=\"" << num(Histogram::kBounds[i]) << "\"} " << h.buckets[i]
        << "\n";
    }
    o << name << "_bucket{" << labels << ",le=\"+Inf\"} " << h.count << "\n";
    o << name << "_sum{" << labels << "} " << num(h.sum) << "\n";
    o << name << "_count{" << labels << "} " << h.count << "\n";
  };

  o << "# HELP quorum_requests_total Requests answered, by endpoint, engine, model and HTTP status.\n";
  o << "# TYPE quorum_requests_total counter\n";
  for (const auto& [k, v] : requests_) {
    o << "quorum_requests_total{endpoint=\"" << prometheus_label(std::get<0>(k)) << "\",engine=\""
      << prometheus_label(std::get<1>(k)) << "\",model=\"" << prometheus_label(std::get<2>(k))
      << "\",status=\"" << std::get<3>(k) << "\"} " << v << "\n";
  }
  o << "# HELP quorum_errors_total Errors returned to clients, before or during a stream.\n";
  o << "# TYPE quorum_errors_total counter\n";
  for (const auto& [k, v] : errors_) {
    o << "quorum_errors_total{endpoint=\"" << prometheus_label(std::get<0>(k)) << "\",engine=\""
      << prometheus_label(std::get<1>(k)) << "\",model=\"" << prometheus_label(std::get<2>(k)) << "\",type=\""
      << prometheus_label(std::get<3>(k)) << "\"} " << v << "\n";
  }
  o << "# HELP quorum_request_duration_seconds Time from request to the end of the response.\n";
  o << "# TYPE quorum_request_duration_seconds histogram\n";
  for (const auto& [k, h] : durations_) {
    histogram("quorum_request_duration_seconds",
              "endpoint=\"" + prometheus_label(std::get<0>(k)) + "\",engine=\"" +
                  prometheus_label(std::get<1>(k)) + "\",model=\"" + prometheus_label(std::get<2>(k)) + "\"",
              h);
  }
  o << "# HELP quorum_time_to_first_token_seconds Time from request to the first generated token.\n";
  o << "# TYPE quorum_time_to_first_token_seconds histogram\n";
  for (const auto& [k, h] : ttft_) histogram("quorum_time_to_first_token_seconds", labels2(k), h);
  o << "# HELP quorum_prompt_tokens_total Prompt tokens processed.\n# TYPE quorum_prompt_tokens_total "
       "counter\n";
  for (const auto& [k, v] : prompt_tokens_)
    o << "quorum_prompt_tokens_total{" << labels2(k) << "} " << v << "\n";
  o << "# HELP quorum_completion_tokens_total Tokens generated.\n# TYPE quorum_completion_tokens_total "
       "counter\n";
  for (const auto& [k, v] : completion_tokens_) {
    o << "quorum_completion_tokens_total{" << labels2(k) << "} " << v << "\n";
  }
  o << "# HELP quorum_requests_in_flight Requests in progress (generations and embeddings).\n# TYPE "
       "quorum_requests_in_flight gauge\n";
  for (const auto& [k, v] : in_flight_) o << "quorum_requests_in_flight{" << labels2(k) << "} " << v << "\n";
  const auto& paths = engines::stream_paths();
  o << "# HELP quorum_stream_chunks_total Chunks of engines' and peers' streams read, by path (pass_through: "
       "its text forwarded as the engine encoded it; parsed: read whole and re-written), counted when a "
       "stream ends.\n# TYPE quorum_stream_chunks_total counter\n";
  o << "quorum_stream_chunks_total{path=\"pass_through\"} " << paths.passed_through.load() << "\n";
  o << "quorum_stream_chunks_total{path=\"parsed\"} " << paths.parsed.load() << "\n";
  return o.str();
}

}  // namespace quorum::node
