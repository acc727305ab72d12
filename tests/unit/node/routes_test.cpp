// The node's path table: every endpoint with and without /v1, the methods each takes, model ids with '/'.
#include "node/api/routes.h"

#include <gtest/gtest.h>

namespace quorum::node::api {
namespace {

TEST(Routes, EndpointsWithAndWithoutTheV1Prefix) {
  EXPECT_EQ(match_route("POST", "/v1/chat/completions")->endpoint, Endpoint::kChatCompletions);
  EXPECT_EQ(match_route("POST", "/chat/completions")->endpoint, Endpoint::kChatCompletions);
  EXPECT_EQ(match_route("POST", "/v1/completions")->endpoint, Endpoint::kCompletions);
  EXPECT_EQ(match_route("POST", "/v1/embeddings")->endpoint, Endpoint::kEmbeddings);
  EXPECT_EQ(match_route("GET", "/v1/models")->endpoint, Endpoint::kListModels);
  EXPECT_EQ(match_route("HEAD", "/models")->endpoint, Endpoint::kListModels);
  EXPECT_EQ(match_route("GET", "/v1/cluster/nodes")->endpoint, Endpoint::kClusterNodes);
  EXPECT_EQ(match_route("POST", "/v1/cluster/heartbeat")->endpoint, Endpoint::kHeartbeat);
  EXPECT_EQ(match_route("GET", "/v1/cluster/identity")->endpoint, Endpoint::kIdentity);
  EXPECT_EQ(match_route("GET", "/health")->endpoint, Endpoint::kHealth);
  EXPECT_EQ(match_route("GET", "/metrics")->endpoint, Endpoint::kMetrics);
}

TEST(Routes, TheQueryIsNotPartOfThePath) {
  EXPECT_EQ(match_route("GET", "/v1/models?limit=3")->endpoint, Endpoint::kListModels);
}

TEST(Routes, AModelIdInThePathIsPercentDecodedAndMayHoldSlashes) {
  auto r = match_route("GET", "/v1/models/org%2Ftiny-a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->endpoint, Endpoint::kGetModel);
  EXPECT_EQ(r->model_id, "org/tiny-a");
  EXPECT_EQ(match_route("GET", "/v1/models/org/tiny-a")->model_id, "org/tiny-a");
  auto bad = match_route("GET", "/v1/models/%zz");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().status, 400);
}

TEST(Routes, AWrongMethodIs405NamingTheOneToUse) {
  auto r = match_route("GET", "/v1/chat/completions");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 405);
  EXPECT_NE(r.error().message.find("use POST"), std::string::npos);
  EXPECT_EQ(match_route("POST", "/v1/models").error().status, 405);
  EXPECT_EQ(match_route("DELETE", "/v1/models/x").error().status, 405);
}

TEST(Routes, AnUnknownUrlIs404UnknownUrl) {
  auto r = match_route("GET", "/v2/chat");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 404);
  EXPECT_EQ(r.error().code, "unknown_url");
  EXPECT_EQ(match_route("GET", "/v1/health").error().status, 404);  // /health is at the root only
}

}  // namespace
}  // namespace quorum::node::api
