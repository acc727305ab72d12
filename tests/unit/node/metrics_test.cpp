// Metrics labels stay bounded whatever model names clients send (audit M4).
#include "node/metrics.h"

#include <gtest/gtest.h>

#include "node/api/request_observers.h"

namespace quorum::node {
namespace {

api::RequestRecord record(std::string model, std::string engine, int status) {
  api::RequestRecord r;
  r.endpoint = "chat";
  r.model = std::move(model);
  r.served.engine = std::move(engine);
  r.status = status;
  if (status >= 400) r.error_type = "invalid_request_error";
  return r;
}

TEST(RequestMetrics, ModelsNoEngineServedShareOneLabel) {
  Metrics metrics;
  api::RequestMetrics observer(metrics);
  for (int i = 0; i < 100; ++i) observer.request_done(record("made-up-" + std::to_string(i), "", 404));
  observer.request_done(record("org/tiny-a", "local", 200));
  std::string text = metrics.render();
  const std::string unknown =
      R"m(quorum_requests_total{endpoint="chat",engine="",model="(unknown)",status="404"} 100)m";
  EXPECT_NE(text.find(unknown), std::string::npos) << text;
  EXPECT_NE(text.find(R"m(quorum_errors_total{endpoint="chat",engine="",model="(unknown)",)m"),
            std::string::npos);
  EXPECT_NE(
      text.find(
          R"m(quorum_requests_total{endpoint="chat",engine="local",model="org/tiny-a",status="200"} 1)m"),
      std::string::npos);
  EXPECT_EQ(text.find("made-up"), std::string::npos);
}

TEST(Metrics, LabelValuesAreCappedAndHaveNoControlCharacters) {
  Metrics metrics;
  std::string name(10000, 'm');
  name[50] = '\n';
  name[60] = '\r';
  metrics.request_done("chat", "local", name, 200, 0.1);
  metrics.tokens("local", name, 1, 2);
  metrics.in_flight(std::string(5000, 'e'), name, 1);
  std::string text = metrics.render();
  EXPECT_LT(text.size(),
            12000u);  // 14 buckets and 3 more lines of the histogram, each with the capped name
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LT(end - start, 600u);
    EXPECT_EQ(text.substr(start, end - start).find('\r'), std::string::npos);
    start = end + 1;
  }
  EXPECT_NE(text.find("mmm\\\\nmmm"),
            std::string::npos);  // the escaped newline, its backslash escaped again
}

}  // namespace
}  // namespace quorum::node
