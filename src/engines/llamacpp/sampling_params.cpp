#include "engines/llamacpp/sampling_params.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <limits>

#include "wire/json_number.h"

namespace quorum::engines::llamacpp {
namespace json = boost::json;

namespace {

constexpr size_t kMaxStops = 16;

// Present and not null.
const json::value* field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return (v && !v->is_null()) ? v : nullptr;
}

std::string kind_name(const json::value& v) {
  return wire::json_kind_name(v);
}

ApiError wrong_type(std::string_view key, std::string_view expected, const json::value& got) {
  std::string k(key);
  return ApiError::invalid_request(
      "Invalid type for '" + k + "': expected " + std::string(expected) + ", but got " + kind_name(got) + ".",
      k);
}

// Shortest decimal text that reads back as `d` ("2.5", "3", "1e+20").
std::string format_double(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(d);
}

// OpenAI's wording: "Invalid 'top_p': decimal above maximum value. Expected a value <= 1, but got 1.5
// instead."
ApiError out_of_range(std::string_view key, bool integer, bool above, std::string_view bound,
                      std::string_view got) {
  std::string k(key);
  std::string what = integer ? "integer" : "decimal";
  std::string side = above ? "above maximum" : "below minimum";
  std::string code = what + (above ? "_above_max_value" : "_below_min_value");
  return ApiError::invalid_request("Invalid '" + k + "': " + what + " " + side + " value. Expected a value " +
                                       std::string(bound) + ", but got " + std::string(got) + " instead.",
                                   k, code);
}

// Reads number `key` into `out` if present: lo <= x <= hi, or lo < x when `lo_exclusive`.
std::optional<ApiError> read_decimal(const json::object& o, std::string_view key, double lo, double hi,
                                     bool lo_exclusive, float& out) {
  const json::value* v = field(o, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) return wrong_type(key, "a number", *v);
  double x = v->to_number<double>();
  bool below = lo_exclusive ? !(x > lo) : !(x >= lo);  // written so that NaN is out of range
  if (below) {
    return out_of_range(key, false, false, (lo_exclusive ? "> " : ">= ") + format_double(lo),
                        wire::json_number_text(*v));
  }
  if (!(x <= hi))
    return out_of_range(key, false, true, "<= " + format_double(hi), wire::json_number_text(*v));
  out = static_cast<float>(x);
  return std::nullopt;
}

// Reads integer `key` into `out` if present: lo <= x <= INT64_MAX; values above INT32_MAX are clamped to it
// (fit_to_slot() bounds them further).
std::optional<ApiError> read_int32(const json::object& o, std::string_view key, int32_t lo, int32_t& out) {
  const json::value* v = field(o, key);
  if (!v) return std::nullopt;
  int64_t x = 0;
  if (auto e = wire::read_integer(*v, key, lo, std::numeric_limits<int64_t>::max(), x)) return e;
  out = static_cast<int32_t>(std::min<int64_t>(x, std::numeric_limits<int32_t>::max()));
  return std::nullopt;
}

// Any int64, reduced modulo 2^32 (two's complement wrap for negatives), the same for every representation.
std::optional<ApiError> read_seed(const json::object& o, std::optional<uint32_t>& out) {
  const json::value* v = field(o, "seed");
  if (!v) return std::nullopt;
  int64_t x = 0;
  constexpr auto kMin = std::numeric_limits<int64_t>::min();
  constexpr auto kMax = std::numeric_limits<int64_t>::max();
  if (auto e = wire::read_integer(*v, "seed", kMin, kMax, x)) return e;
  out = static_cast<uint32_t>(x);
  return std::nullopt;
}

std::optional<ApiError> read_stop(const json::object& o, std::vector<std::string>& out) {
  const json::value* v = field(o, "stop");
  if (!v) return std::nullopt;
  if (v->is_string()) {
    if (!v->get_string().empty()) out.emplace_back(v->get_string());
    return std::nullopt;
  }
  if (!v->is_array()) return wrong_type("stop", "a string or an array of strings", *v);
  const json::array& a = v->get_array();
  if (a.size() > kMaxStops) {
    return ApiError::invalid_request(
        "Invalid 'stop': array too long. Expected an array with maximum length " + std::to_string(kMaxStops) +
            ", but got an array with length " + std::to_string(a.size()) + " instead.",
        "stop", "array_above_max_length");
  }
  for (const json::value& s : a) {
    if (!s.is_string()) return wrong_type("stop", "a string or an array of strings", s);
    if (!s.get_string().empty()) out.emplace_back(s.get_string());
  }
  return std::nullopt;
}

}  // namespace

Result<SamplingParams> parse_sampling_params(const wire::GenerationRequest& request) {
  const json::object& o = request.body();
  SamplingParams p;
  if (auto e = read_decimal(o, "temperature", 0, 2, false, p.temperature)) return *std::move(e);
  if (auto e = read_decimal(o, "top_p", 0, 1, false, p.top_p)) return *std::move(e);
  if (auto e = read_int32(o, "top_k", 0, p.top_k)) return *std::move(e);
  if (auto e = read_decimal(o, "min_p", 0, 1, false, p.min_p)) return *std::move(e);
  if (auto e = read_decimal(o, "presence_penalty", -2, 2, false, p.presence_penalty)) return *std::move(e);
  if (auto e = read_decimal(o, "frequency_penalty", -2, 2, false, p.frequency_penalty)) return *std::move(e);
  constexpr double kHuge = std::numeric_limits<float>::max();  // the largest a float holds
  if (auto e = read_decimal(o, "repeat_penalty", 0, kHuge, true, p.repeat_penalty)) return *std::move(e);
  if (auto e = read_int32(o, "repeat_last_n", -1, p.penalty_last_n)) return *std::move(e);
  if (auto e = read_seed(o, p.seed)) return *std::move(e);
  if (auto e = read_stop(o, p.stop)) return *std::move(e);
  if (const json::value* v = field(o, "ignore_eos")) {
    if (!v->is_bool()) return wrong_type("ignore_eos", "a boolean", *v);
    p.ignore_eos = v->get_bool();
  }
  if (request.max_tokens) {
    if (*request.max_tokens < 1) {
      // Name the field the client actually sent (max_completion_tokens wins when both are given).
      std::string key = field(o, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
      return out_of_range(key, true, false, ">= 1", std::to_string(*request.max_tokens));
    }
    p.max_tokens = request.max_tokens;
  }
  return p;
}

SamplingParams fit_to_slot(SamplingParams p, int32_t ctx_per_slot, int32_t n_vocab) {
  ctx_per_slot = std::max<int32_t>(ctx_per_slot, 1);
  n_vocab = std::max<int32_t>(n_vocab, 1);
  if (p.penalty_last_n < 0 || p.penalty_last_n > ctx_per_slot) p.penalty_last_n = ctx_per_slot;
  p.top_k = std::clamp<int32_t>(p.top_k, 0, n_vocab);
  if (p.max_tokens && *p.max_tokens > ctx_per_slot) p.max_tokens = ctx_per_slot;
  return p;
}

}  // namespace quorum::engines::llamacpp
