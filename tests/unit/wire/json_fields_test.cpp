#include "wire/json_fields.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace quorum::wire {
namespace {

TEST(JsonFields, AStringFieldIsEmptyWhenMissingNotAStringOrTooLong) {
  const auto o = boost::json::parse(R"({"a":"text","n":3,"long":"0123456789"})").as_object();
  EXPECT_EQ(string_field(o, "a"), "text");
  EXPECT_EQ(string_field(o, "missing"), "");
  EXPECT_EQ(string_field(o, "n"), "");
  EXPECT_EQ(string_field(o, "long", 10), "0123456789");
  EXPECT_EQ(string_field(o, "long", 9), "") << "too long is refused, never cut";
}

}  // namespace
}  // namespace quorum::wire
