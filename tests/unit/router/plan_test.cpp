// The router's pure rules: which failures are worth another holder, and how a TryPlan walks the holders.
#include "router/plan.h"

#include <gtest/gtest.h>

namespace quorum::router {
namespace {

Route local_route(const std::string& name) {
  struct Named final : engines::Backend {
    explicit Named(std::string n) : n_(std::move(n)) {}
    const std::string& name() const override { return n_; }
    std::string_view type() const override { return "test"; }
    const std::string& location() const override { return n_; }
    Task<Result<std::vector<engines::ModelInfo>>> list_models() override {
      co_return std::vector<engines::ModelInfo>{};
    }
    Task<Result<std::unique_ptr<engines::EventStream>>> generate(const wire::GenerationRequest&,
                                                                 const engines::CallContext&) override {
      co_return ApiError::server(500, "unused");
    }
    Task<Result<boost::json::object>> embed(const wire::EmbeddingRequest&,
                                            const engines::CallContext&) override {
      co_return ApiError::server(500, "unused");
    }
    std::string n_;
  };
  return Route{std::make_shared<Named>(name), "m", true, "self", "self"};
}

Route peer_route(const std::string& name) {
  Route r = local_route(name);
  r.local = false;
  r.node_id = name;
  r.node_name = name;
  return r;
}

TEST(WorthAnotherHolder, ServerFailuresBusyAndNoSuchModelAre) {
  auto l = local_route("a");
  EXPECT_TRUE(worth_another_holder(ApiError::server(500, ""), l));
  EXPECT_TRUE(worth_another_holder(ApiError::server(503, ""), l));
  EXPECT_TRUE(worth_another_holder(ApiError{429, "rate_limit_error", ""}, l));
  EXPECT_TRUE(worth_another_holder(ApiError::not_found(""), l));
}

TEST(WorthAnotherHolder, TheClientsMistakesAndLeavingAreNot) {
  auto l = local_route("a");
  EXPECT_FALSE(worth_another_holder(ApiError::invalid_request(""), l));
  EXPECT_FALSE(worth_another_holder(ApiError{499, "", ""}, l));
  EXPECT_FALSE(worth_another_holder(ApiError{401, "", ""}, l));
}

TEST(WorthAnotherHolder, APeerRefusingTheForwardedRequestIs) {
  auto p = peer_route("b");
  EXPECT_TRUE(worth_another_holder(ApiError{401, "", ""}, p));
  EXPECT_TRUE(worth_another_holder(ApiError{408, "", ""}, p));
  EXPECT_FALSE(worth_another_holder(ApiError::invalid_request(""), p));
}

TEST(OrderRoutes, FollowsTheSchedule) {
  std::vector<Candidate> c{{peer_route("b"), true, 0, 4}, {local_route("a"), false, 0, 4}};
  auto routes = order_routes(std::move(c));
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].node_name, "b");  // warm before cold
}

TEST(TryPlan, GivesEachRouteOnceAndStopsOnAFinalError) {
  TryPlan plan({local_route("a"), local_route("b")}, 3, "m");
  const Route* first = plan.next({});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->backend->name(), "a");
  EXPECT_FALSE(plan.failed(ApiError::invalid_request("bad")));
  EXPECT_EQ(plan.next({}), nullptr);
}

TEST(TryPlan, NothingTriedIs503NoEngineCouldServe) {
  TryPlan plan({}, 3, "m");
  EXPECT_EQ(plan.next({}), nullptr);
  auto e = plan.final_error();
  EXPECT_EQ(e.status, 503);
  EXPECT_NE(e.message.find("'m'"), std::string::npos);
}

TEST(TryPlan, MaxTriesBoundsPeersNotLocalEngines) {
  TryPlan plan({peer_route("p1"), peer_route("p2"), local_route("a")}, 1, "m");
  const Route* r = plan.next({});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->node_name, "p1");
  EXPECT_TRUE(plan.failed(ApiError::server(502, "down")));
  r = plan.next({});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->local);
  EXPECT_TRUE(plan.failed(ApiError::server(502, "also down")));
  EXPECT_EQ(plan.next({}), nullptr);
  auto e = plan.final_error();
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(e.message,
            "No holder of the model 'm' could serve it. Tried node 'p1': down; engine 'a' on this node: also "
            "down.");
}

TEST(TryPlan, AnUnreachablePeerIsRecordedAndSkippedWithoutATry) {
  TryPlan plan({peer_route("p1"), peer_route("p2")}, 1, "m");
  const Route* r = plan.next([](const std::string& id) { return id != "p1"; });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->node_name, "p2");
  EXPECT_EQ(plan.tries(), 1);
  ASSERT_EQ(plan.tried().size(), 1u);
  EXPECT_EQ(plan.tried()[0], "node 'p1': not answering");
}

}  // namespace
}  // namespace quorum::router
