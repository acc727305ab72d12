// Integers from JSON numbers, safely (pure).
//
// boost::json holds a number as int64, uint64 or double. A double is converted to an integer only after it
// is known to be integral and within the target range, so no value (1e300, -1e19, NaN, infinities) reaches an
// undefined float-to-integer cast. Every integer the node reads from a client's request or from an engine's
// data goes through json_integer().
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace quorum::wire {

enum class IntegerStatus {
  kOk,
  kNotInteger,  // not a number, or a number with a fractional part (1.5), NaN or an infinity
  kBelowMin,    // an integer below `lo`
  kAboveMax,    // an integer above `hi`
};

// `v` as an integer within [lo, hi] (lo <= hi): `out` is set only when kOk.
IntegerStatus json_integer(const boost::json::value& v, int64_t lo, int64_t hi, int64_t& out);

// A number as the client wrote it, for error messages ("5", "18446744073709551615", "1e+300", "2.5").
std::string json_number_text(const boost::json::value& v);

// Reads client field `key` (value `v`) as an integer within [lo, hi]. Otherwise a 400 invalid_request_error
// whose param is `key`: "Invalid type for 'key': expected an integer, but got a number." or, in OpenAI's
// wording, "Invalid 'key': integer above maximum value. Expected a value <= hi, but got 1e+300 instead."
// (code integer_above_max_value / integer_below_min_value).
std::optional<ApiError> read_integer(const boost::json::value& v, std::string_view key, int64_t lo,
                                     int64_t hi, int64_t& out);

// Boost.JSON 1.81 reads a number beyond a double's range as an infinity (1e400) or NaN (0e400), and
// serialize() writes those as `Infinity` and `NaN`, which are not JSON: a body passed on as it came would
// reach an engine, a peer or a client malformed. The path of the first such number in `v` ("" for `v` itself,
// "messages[0].x" below it, keys as they are), or nullopt when every number in it is finite.
std::optional<std::string> find_non_finite(const boost::json::value& v);

}  // namespace quorum::wire
