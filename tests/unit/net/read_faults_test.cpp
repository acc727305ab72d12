// Which answer a broken request gets: the mapping from the read's error to the status, without sockets.
#include "net/read_faults.h"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/json/parse.hpp>

namespace quorum::net {
namespace {

namespace http = boost::beast::http;

ReadFault fault(http::error e) {
  return classify_read_error(http::make_error_code(e), false, true);
}

TEST(ReadFaults, EachParseErrorHasItsStatus) {
  EXPECT_EQ(fault(http::error::header_limit), ReadFault::kHeadTooLarge);
  EXPECT_EQ(fault(http::error::body_limit), ReadFault::kBodyTooLarge);
  for (auto e :
       {http::error::bad_method, http::error::bad_target, http::error::bad_version,
        http::error::bad_line_ending, http::error::bad_field, http::error::bad_value,
        http::error::bad_content_length, http::error::bad_transfer_encoding, http::error::bad_chunk,
        http::error::bad_chunk_extension, http::error::bad_obs_fold, http::error::multiple_content_length}) {
    EXPECT_EQ(fault(e), ReadFault::kMalformed) << http::make_error_code(e).message();
  }
}

TEST(ReadFaults, AClientThatLeftGetsNoAnswer) {
  EXPECT_EQ(fault(http::error::end_of_stream), ReadFault::kGone);
  EXPECT_EQ(fault(http::error::partial_message), ReadFault::kGone);
  EXPECT_EQ(classify_read_error(boost::asio::error::connection_reset, false, true), ReadFault::kGone);
  EXPECT_EQ(classify_read_error(boost::asio::error::operation_aborted, false, false), ReadFault::kGone);
}

TEST(ReadFaults, ATimeoutIs408OnlyOnceSomethingArrived) {
  EXPECT_EQ(classify_read_error(boost::asio::error::operation_aborted, true, true), ReadFault::kTimedOut);
  EXPECT_EQ(classify_read_error(boost::asio::error::operation_aborted, true, false), ReadFault::kGone)
      << "an idle connection is closed silently";
}

TEST(ReadFaults, TheAnswersAreTheApisErrorShape) {
  struct Case {
    ReadFault fault;
    int status;
    const char* code;
  };
  for (const auto& c : {Case{ReadFault::kTimedOut, 408, "request_timeout"},
                        Case{ReadFault::kHeadTooLarge, 431, "headers_too_large"},
                        Case{ReadFault::kBodyTooLarge, 413, "request_too_large"},
                        Case{ReadFault::kMalformed, 400, "malformed_request"}}) {
    auto answer = answer_for(c.fault, 8 << 20, 64 << 10);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, c.status);
    auto error = boost::json::parse(answer->body).at("error").as_object();
    EXPECT_EQ(error.at("code").as_string(), c.code);
    EXPECT_EQ(error.at("type").as_string(), "invalid_request_error");
    EXPECT_TRUE(error.at("param").is_null());
    EXPECT_FALSE(error.at("message").as_string().empty());
  }
  EXPECT_NE(answer_for(ReadFault::kBodyTooLarge, 1234, 1)->body.find("1234 bytes"), std::string::npos);
  EXPECT_FALSE(answer_for(ReadFault::kGone, 1, 1));
}

}  // namespace
}  // namespace quorum::net
