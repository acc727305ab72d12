// Request metrics, rendered in Prometheus text format for GET /metrics. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace quorum::node {

// A Prometheus label value with its backslashes, quotes and newlines escaped (the exposition format's rule).
std::string prometheus_label(const std::string& value);

// The label value for a model no engine or peer served (an unknown name, a request refused before routing):
// names that clients make up must not each become a series forever.
inline constexpr const char* kUnknownModelLabel = "(unknown)";
// Every engine and model label is cut to this many bytes (with "…") and has its control characters escaped.
inline constexpr size_t kMaxLabelBytes = 128;

// Engine and model label values are stored through log::printable(value, kMaxLabelBytes), whoever calls.
class Metrics {
 public:
  // A request was answered: endpoint (e.g. "chat"), engine and model ("" when none was chosen), HTTP status.
  void request_done(const std::string& endpoint, const std::string& engine, const std::string& model,
                    int status, double duration_seconds);
  // An error reached the client (before or after the first byte).
  void error(const std::string& endpoint, const std::string& engine, const std::string& model,
             const std::string& type);
  void time_to_first_token(const std::string& engine, const std::string& model, double seconds);
  void tokens(const std::string& engine, const std::string& model, int64_t prompt, int64_t completion);
  void in_flight(const std::string& engine, const std::string& model, int delta);

  std::string render() const;

 private:
  struct Histogram {
    static constexpr double kBounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                         0.5,   1,     2.5,  5,     10,   30,  60};
    uint64_t buckets[sizeof(kBounds) / sizeof(double)] = {};
    uint64_t count = 0;
    double sum = 0;
    void observe(double v);
  };
  using Key2 = std::tuple<std::string, std::string>;
  using Key3 = std::tuple<std::string, std::string, std::string>;
  using Key4 = std::tuple<std::string, std::string, std::string, std::string>;
  // Found by views of the labels (std::less<>): a request's series is updated without copying its labels.
  template <class Key, class Value>
  using Series = std::map<Key, Value, std::less<>>;
  mutable std::mutex mutex_;
  Series<Key4, uint64_t> requests_;    // endpoint, engine, model, status
  Series<Key4, uint64_t> errors_;      // endpoint, engine, model, type
  Series<Key3, Histogram> durations_;  // endpoint, engine, model
  Series<Key2, Histogram> ttft_;
  Series<Key2, int64_t> prompt_tokens_, completion_tokens_, in_flight_;
};

}  // namespace quorum::node
