#include "wire/json_number.h"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "wire/request.h"

namespace quorum::wire {

IntegerStatus json_integer(const boost::json::value& v, int64_t lo, int64_t hi, int64_t& out) {
  auto within = [&](int64_t x) {
    if (x < lo) return IntegerStatus::kBelowMin;
    if (x > hi) return IntegerStatus::kAboveMax;
    out = x;
    return IntegerStatus::kOk;
  };
  if (v.is_int64()) return within(v.get_int64());
  if (v.is_uint64()) {
    uint64_t u = v.get_uint64();
    return u > static_cast<uint64_t>(INT64_MAX) ? IntegerStatus::kAboveMax : within(static_cast<int64_t>(u));
  }
  if (!v.is_double()) return IntegerStatus::kNotInteger;
  double d = v.get_double();
  if (!std::isfinite(d) || std::trunc(d) != d) return IntegerStatus::kNotInteger;
  // [-2^63, 2^63) is exactly the int64 range, and both bounds are exact doubles: inside it the cast is exact.
  if (d < -9223372036854775808.0) return IntegerStatus::kBelowMin;
  if (d >= 9223372036854775808.0) return IntegerStatus::kAboveMax;
  return within(static_cast<int64_t>(d));
}

std::string json_number_text(const boost::json::value& v) {
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (!v.is_double()) return json_kind_name(v);
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.get_double());  // shortest text that reads back
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v.get_double());
}

namespace {

// find_non_finite's path below `v`, each step written ".key" or "[i]".
std::optional<std::string> non_finite_below(const boost::json::value& v) {
  if (v.is_double()) return std::isfinite(v.get_double()) ? std::nullopt : std::optional<std::string>("");
  if (v.is_array()) {
    const auto& a = v.get_array();
    for (size_t i = 0; i < a.size(); ++i) {
      if (auto path = non_finite_below(a[i])) return "[" + std::to_string(i) + "]" + *path;
    }
  } else if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      if (auto path = non_finite_below(kv.value())) return "." + std::string(kv.key()) + *path;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> find_non_finite(const boost::json::value& v) {
  auto path = non_finite_below(v);
  if (path && !path->empty() && path->front() == '.') path->erase(0, 1);
  return path;
}

std::optional<ApiError> read_integer(const boost::json::value& v, std::string_view key, int64_t lo,
                                     int64_t hi, int64_t& out) {
  std::string k(key);
  switch (json_integer(v, lo, hi, out)) {
    case IntegerStatus::kOk:
      return std::nullopt;
    case IntegerStatus::kNotInteger:
      return ApiError::invalid_request(
          "Invalid type for '" + k + "': expected an integer, but got " + json_kind_name(v) + ".", k);
    case IntegerStatus::kBelowMin:
      return ApiError::invalid_request(
          "Invalid '" + k + "': integer below minimum value. Expected a value >= " + std::to_string(lo) +
              ", but got " + json_number_text(v) + " instead.",
          k, "integer_below_min_value");
    case IntegerStatus::kAboveMax:
      break;
  }
  return ApiError::invalid_request("Invalid '" + k + "': integer above maximum value. Expected a value <= " +
                                       std::to_string(hi) + ", but got " + json_number_text(v) + " instead.",
                                   k, "integer_above_max_value");
}

}  // namespace quorum::wire
