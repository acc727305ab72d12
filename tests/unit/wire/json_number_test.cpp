// JSON numbers to integers: every representation, every double (NaN, infinities, beyond int64), no UB (the
// sanitizer build checks float-cast-overflow), and what a client who sends one out of range is told.
#include "wire/json_number.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <limits>

namespace quorum::wire {
namespace {

namespace json = boost::json;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

IntegerStatus convert(const json::value& v, int64_t lo, int64_t hi, int64_t* value = nullptr) {
  int64_t out = -12345;
  IntegerStatus s = json_integer(v, lo, hi, out);
  if (s != IntegerStatus::kOk) EXPECT_EQ(out, -12345) << "out is set only on success";
  if (value) *value = out;
  return s;
}

TEST(JsonInteger, EveryRepresentationInRange) {
  int64_t x = 0;
  EXPECT_EQ(convert(json::value(int64_t{-7}), -10, 10, &x), IntegerStatus::kOk);
  EXPECT_EQ(x, -7);
  EXPECT_EQ(convert(json::value(uint64_t{7}), -10, 10, &x), IntegerStatus::kOk);
  EXPECT_EQ(x, 7);
  EXPECT_EQ(convert(json::value(7.0), -10, 10, &x), IntegerStatus::kOk);
  EXPECT_EQ(x, 7);
  EXPECT_EQ(convert(json::value(-0.0), -10, 10, &x), IntegerStatus::kOk);
  EXPECT_EQ(x, 0);
  EXPECT_EQ(convert(json::value(kMin), kMin, kMax, &x), IntegerStatus::kOk);
  EXPECT_EQ(x, kMin);
  EXPECT_EQ(convert(json::value(kMax), kMin, kMax, &x), IntegerStatus::kOk);
  EXPECT_EQ(x, kMax);
  EXPECT_EQ(convert(json::value(-9223372036854775808.0), kMin, kMax, &x), IntegerStatus::kOk);  // -2^63
  EXPECT_EQ(x, kMin);
  EXPECT_EQ(convert(json::value(9223372036854774784.0), kMin, kMax, &x), IntegerStatus::kOk);  // below 2^63
  EXPECT_EQ(x, 9223372036854774784);
}

TEST(JsonInteger, BoundsAreInclusive) {
  EXPECT_EQ(convert(json::value(1), 1, 128), IntegerStatus::kOk);
  EXPECT_EQ(convert(json::value(128), 1, 128), IntegerStatus::kOk);
  EXPECT_EQ(convert(json::value(0), 1, 128), IntegerStatus::kBelowMin);
  EXPECT_EQ(convert(json::value(129), 1, 128), IntegerStatus::kAboveMax);
  EXPECT_EQ(convert(json::value(129.0), 1, 128), IntegerStatus::kAboveMax);
  EXPECT_EQ(convert(json::value(uint64_t{129}), 1, 128), IntegerStatus::kAboveMax);
}

TEST(JsonInteger, DoublesBeyondInt64AreOutOfRangeNotCast) {
  for (double d : {1e300, 1e19, 9223372036854775808.0, std::numeric_limits<double>::max()})
    EXPECT_EQ(convert(json::value(d), kMin, kMax), IntegerStatus::kAboveMax) << d;
  for (double d : {-1e300, -1e19, -9223372036854777856.0, std::numeric_limits<double>::lowest()})
    EXPECT_EQ(convert(json::value(d), kMin, kMax), IntegerStatus::kBelowMin) << d;
  EXPECT_EQ(convert(json::value(std::numeric_limits<uint64_t>::max()), kMin, kMax), IntegerStatus::kAboveMax);
  EXPECT_EQ(convert(json::value(uint64_t{1} << 63), kMin, kMax), IntegerStatus::kAboveMax);
}

TEST(JsonInteger, FractionsNanInfinitiesAndNonNumbersAreNotIntegers) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double d : {1.5, -0.5, 1e-300, std::nan(""), inf, -inf, 4.9e-324})
    EXPECT_EQ(convert(json::value(d), kMin, kMax), IntegerStatus::kNotInteger) << d;
  for (const json::value& v :
       {json::value(nullptr), json::value(true), json::value("3"), json::value(json::array{1})})
    EXPECT_EQ(convert(v, kMin, kMax), IntegerStatus::kNotInteger);
}

TEST(JsonInteger, NumberText) {
  EXPECT_EQ(json_number_text(json::value(-5)), "-5");
  EXPECT_EQ(json_number_text(json::value(std::numeric_limits<uint64_t>::max())), "18446744073709551615");
  EXPECT_EQ(json_number_text(json::value(1e300)), "1e+300");
  EXPECT_EQ(json_number_text(json::value(2.5)), "2.5");
}

TEST(ReadInteger, ErrorsNameTheFieldInOpenAIsWording) {
  int64_t x = 0;
  auto above = read_integer(json::value(1e300), "max_tokens", 0, kMax, x);
  ASSERT_TRUE(above);
  EXPECT_EQ(above->status, 400);
  EXPECT_EQ(above->type, "invalid_request_error");
  EXPECT_EQ(above->param, "max_tokens");
  EXPECT_EQ(above->code, "integer_above_max_value");
  EXPECT_EQ(above->message,
            "Invalid 'max_tokens': integer above maximum value. Expected a value <= 9223372036854775807, but "
            "got 1e+300 instead.");
  auto below = read_integer(json::value(-1e19), "n", 1, 128, x);
  ASSERT_TRUE(below);
  EXPECT_EQ(below->param, "n");
  EXPECT_EQ(below->code, "integer_below_min_value");
  EXPECT_EQ(below->message,
            "Invalid 'n': integer below minimum value. Expected a value >= 1, but got -1e+19 instead.");
  auto fraction = read_integer(json::value(1.5), "seed", kMin, kMax, x);
  ASSERT_TRUE(fraction);
  EXPECT_EQ(fraction->param, "seed");
  EXPECT_EQ(fraction->message, "Invalid type for 'seed': expected an integer, but got a number.");
  EXPECT_FALSE(read_integer(json::value(42.0), "seed", kMin, kMax, x));
  EXPECT_EQ(x, 42);
}

TEST(FindNonFinite, ThePathOfTheFirstNumberBeyondADouble) {
  EXPECT_EQ(find_non_finite(json::parse(R"({"a":[1,2.5,{"b":-7}],"c":"1e400"})")), std::nullopt);
  EXPECT_EQ(find_non_finite(json::parse("1e400")), "");
  EXPECT_EQ(find_non_finite(json::parse(R"({"a":[1,{"b":0e400}]})")), "a[1].b");
  EXPECT_EQ(find_non_finite(json::parse(R"([[3],[4,-1e999]])")), "[1][1]");
  EXPECT_EQ(find_non_finite(json::parse(R"({"x.y":{"z":1e400}})")), "x.y.z");
}

}  // namespace
}  // namespace quorum::wire
