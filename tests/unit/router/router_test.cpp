// The rules of docs/api.md "Where a request goes", run by the Router over scripted engines and a fake
// cluster: which holder serves, what is retried and what is not, what the client is told, and the load and
// cancellation every try carries.
#include "router/router.h"

#include <gtest/gtest.h>

#include "fakes.h"
#include "router/routed_stream.h"

namespace quorum::router {
namespace {

namespace asio = boost::asio;
using testing::FakeBackend;
using testing::FakePeers;
using testing::run;

struct Collected {
  std::vector<wire::StreamEvent> events;
  Served served;
  std::optional<ApiError> error;  // a StreamError among the events
  std::string text;
};

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    options_.self_id = "self-id";
    options_.self_name = "self";
    options_.max_retries = 3;
  }

  std::shared_ptr<FakeBackend> local(const std::string& name, std::vector<std::string> models,
                                     bool loaded = true) {
    auto b = std::make_shared<FakeBackend>(name, std::move(models), loaded);
    b->events = {wire::TextDelta{0, "from " + name}, wire::Finish{0, wire::FinishReason::kStop}};
    engines_.add(b, false);
    return b;
  }
  std::shared_ptr<FakeBackend> peer(const std::string& id, std::vector<std::string> models,
                                    bool loaded = true, int in_flight = 0) {
    auto b = peers_.add(id, std::move(models), loaded, in_flight);
    b->events = {wire::TextDelta{0, "from " + id}, wire::Finish{0, wire::FinishReason::kStop}};
    return b;
  }
  Router& router() {
    if (!router_) {
      asio::io_context setup;  // its own: router() may be called from a coroutine running on io_
      run(setup, engines_.refresh());
      router_ = std::make_unique<Router>(engines_, options_);
      router_->set_peers(&peers_);
    }
    return *router_;
  }

  // Generates for `model` and reads the whole stream; nullopt events when the router refused at once.
  Result<Collected> generate(const std::string& model, bool allow_peers = true) {
    auto request = std::make_shared<wire::GenerationRequest>();
    request->model = model;
    return run(io_, [&]() -> Task<Result<Collected>> {
      auto stream = co_await router().generate(request, context_, allow_peers);
      if (!stream) co_return stream.take_error();
      Collected c;
      while (auto event = co_await read_event(**stream)) {
        if (auto* t = std::get_if<wire::TextDelta>(&*event)) c.text += t->text;
        if (auto* e = std::get_if<wire::StreamError>(&*event)) c.error = e->error;
        c.events.push_back(*event);
      }
      co_await (*stream)->finish();
      c.served = (*stream)->served();
      co_return c;
    }());
  }

  // The next event as the streaming endpoint reads it: poll() and wait() where the stream takes them, else
  // next().
  static Task<std::optional<wire::StreamEvent>> read_event(engines::EventStream& stream) {
    std::optional<wire::StreamEvent> event;
    while (!stream.poll(event)) {
      if (!stream.waits()) co_return co_await stream.next();
      co_await stream.wait();
    }
    co_return event;
  }

  asio::io_context io_;
  engines::EngineRegistry engines_;
  FakePeers peers_;
  RouterOptions options_;
  engines::CallContext context_{"req_test", std::make_shared<Canceller>()};
  std::unique_ptr<Router> router_;
};

TEST_F(RouterTest, ALocalHolderServesAndIsNamed) {
  local("eng", {"m"});
  auto r = generate("m");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "from eng");
  EXPECT_FALSE(r->error);
  EXPECT_EQ(r->served.engine, "eng");
  EXPECT_EQ(r->served.node_name, "self");
  EXPECT_EQ(r->served.node_id, "self-id");
}

TEST_F(RouterTest, AModelNobodyHoldsIs404AndNothingIsTried) {
  auto eng = local("eng", {"m"});
  auto r = generate("other");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 404);
  EXPECT_EQ(r.error().code, "model_not_found");
  EXPECT_EQ(eng->generate_calls, 0);
}

TEST_F(RouterTest, AModelHeldOnlyByPeersNotAnsweringIs503NamingThem) {
  peer("b", {"m"});
  peers_.peers["b"].reachable = false;
  auto r = generate("m");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 503);
  EXPECT_NE(r.error().message.find("node 'b'"), std::string::npos) << r.error().message;
}

TEST_F(RouterTest, AWarmFreeLocalHolderGoesBeforeAnIdlePeer) {
  local("eng", {"m"});
  auto b = peer("b", {"m"});
  auto r = generate("m");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "from eng");
  EXPECT_EQ(b->generate_calls, 0);
}

TEST_F(RouterTest, AWarmPeerGoesBeforeAColdLocalHolderAndGetsThePeersName) {
  local("eng", {"m"}, /*loaded=*/false);
  auto b = peer("b", {"m"});
  auto r = generate("m");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "from b");
  EXPECT_EQ(r->served.engine, "peer:b");
  EXPECT_EQ(r->served.node_id, "b");
}

TEST_F(RouterTest, AFailureBeforeTheFirstTokenMovesToTheNextHolderAndNeverBackToTheOneThatFailed) {
  auto a = local("a", {"m"});
  auto b = local("b", {"m"});
  a->start_error = ApiError::server(502, "engine down");
  auto r = generate("m");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "from b");
  EXPECT_EQ(r->served.engine, "b");
  EXPECT_EQ(a->generate_calls, 1);
  EXPECT_EQ(b->generate_calls, 1);
}

TEST_F(RouterTest, AnErrorEventBeforeAnyTokenIsRetriedToo) {
  auto b = peer("b", {"m"});
  auto c = peer("c", {"m"}, true, /*in_flight=*/1);
  b->events = {wire::StreamError{ApiError::server(503, "busy loading")}};
  auto r = generate("m");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "from c");
  EXPECT_FALSE(r->error);
  EXPECT_EQ(b->streams_destroyed, 1);  // the failed try's stream is dropped, cancelling its engine call
}

TEST_F(RouterTest, AfterTheFirstTokenNothingIsRetriedAndTheErrorGoesInBand) {
  auto a = local("a", {"m"});
  auto b = local("b", {"m"});
  a->events = {wire::TextDelta{0, "half"}, wire::StreamError{ApiError::server(502, "engine died")}};
  auto r = generate("m");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "half");
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->message, "engine died");
  EXPECT_EQ(b->generate_calls, 0);
}

TEST_F(RouterTest, TheClientsOwnMistakeIsAnsweredAsTheEngineSaidItWithoutAnotherHolder) {
  auto a = local("a", {"m"});
  auto b = local("b", {"m"});
  a->start_error = ApiError::invalid_request("max_tokens is too large", "max_tokens");
  auto r = generate("m");
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->status, 400);
  EXPECT_EQ(r->error->message, "max_tokens is too large");
  EXPECT_EQ(b->generate_calls, 0);
}

TEST_F(RouterTest, WhenEveryHolderFailsThe503NamesEachOneTriedAndWhy) {
  auto a = local("a", {"m"}, false);
  auto b = peer("b", {"m"});
  a->start_error = ApiError::server(500, "out of memory");
  b->start_error = ApiError::server(429, "queue full");
  auto r = generate("m");
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->status, 503);
  EXPECT_NE(r->error->message.find("node 'b': queue full"), std::string::npos) << r->error->message;
  EXPECT_NE(r->error->message.find("engine 'a' on this node: out of memory"), std::string::npos)
      << r->error->message;
}

TEST_F(RouterTest, OneLocalEngineAloneKeepsItsOwnError) {
  auto a = local("a", {"m"});
  a->start_error = ApiError::server(500, "model_load_failed: truncated file");
  auto r = generate("m");
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->status, 500);
  EXPECT_EQ(r->error->message, "model_load_failed: truncated file");
}

TEST_F(RouterTest, AtMostMaxRetriesPeersAreTriedButLocalEnginesStillAreAsTheLastResort) {
  options_.max_retries = 2;
  auto cold = local("cold", {"m"}, /*loaded=*/false);
  std::vector<std::shared_ptr<FakeBackend>> warm_peers;
  for (std::string id : {"p1", "p2", "p3"}) {
    warm_peers.push_back(peer(id, {"m"}));
    warm_peers.back()->start_error = ApiError::server(502, "down");
  }
  auto r = generate("m");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "from cold");
  EXPECT_EQ(warm_peers[0]->generate_calls + warm_peers[1]->generate_calls + warm_peers[2]->generate_calls, 2);
  EXPECT_EQ(cold->generate_calls, 1);
}

TEST_F(RouterTest, APeerThatStoppedAnsweringSinceThePlanIsSkippedWithoutATry) {
  auto b = peer("b", {"m"});
  auto c = peer("c", {"m"}, true, 2);
  b->start_error = ApiError::server(502, "down");
  // b fails; by then c has stopped answering too: it is skipped, not called.
  b->events.clear();
  auto request = std::make_shared<wire::GenerationRequest>();
  request->model = "m";
  auto result = run(io_, [&]() -> Task<Result<Collected>> {
    auto stream = co_await router().generate(request, context_, true);
    if (!stream) co_return stream.take_error();
    peers_.peers["c"].reachable = false;
    Collected out;
    while (auto event = co_await (*stream)->next()) {
      if (auto* e = std::get_if<wire::StreamError>(&*event)) out.error = e->error;
    }
    co_return out;
  }());
  ASSERT_TRUE(result);
  ASSERT_TRUE(result->error);
  EXPECT_EQ(result->error->status, 503);
  EXPECT_NE(result->error->message.find("node 'c': not answering"), std::string::npos)
      << result->error->message;
  EXPECT_EQ(c->generate_calls, 0);
}

TEST_F(RouterTest, AForwardedRequestIsNeverForwardedAgain) {
  auto b = peer("b", {"m"});
  auto r = generate("m", /*allow_peers=*/false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 404);
  EXPECT_EQ(b->generate_calls, 0);
}

TEST_F(RouterTest, ThePeerIsAskedForItsOwnModelIdAndALocalEngineForItsOwn) {
  auto a = local("a", {"m"});
  auto r = generate("m");
  ASSERT_TRUE(r);
  EXPECT_EQ(a->last_model, "m");
}

TEST_F(RouterTest, AfterTheFirstEventTheTrysOwnStreamAnswersPollAndItsEndReleasesTheLoad) {
  auto a = local("a", {"m"});
  a->polls = true;
  a->events = {wire::TextDelta{0, "one "}, wire::TextDelta{0, "two "}, wire::TextDelta{0, "three"},
               wire::Finish{0, wire::FinishReason::kStop}};
  auto r = generate("m");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "one two three");
  EXPECT_EQ(r->events.size(), 4u);
  EXPECT_EQ(r->served.engine, "a");
  // The first event came through next() (a holder could still have failed before it), the rest by poll().
  EXPECT_EQ(a->polled, 3);
  EXPECT_EQ(router().local_in_flight(), 0);
}

TEST_F(RouterTest, LoadIsCountedWhileATryRunsAndReleasedAfter) {
  auto a = local("a", {"m"});
  auto b = peer("b", {"m"}, true, 0);
  a->capacity_ = 1;
  // this node busy (1 of 1): the idle warm peer serves.
  auto request = std::make_shared<wire::GenerationRequest>();
  request->model = "m";
  auto seen = run(io_, [&]() -> Task<std::pair<int, int>> {
    auto first = co_await router().generate(request, context_, false);  // local only
    auto e = co_await (*first)->next();                                 // started: counted
    int local_during = router().local_in_flight();
    auto second = co_await router().generate(request, context_, true);
    co_await (*second)->next();
    int forwarded_during = peers_.forwarded["b"];
    while (co_await (*first)->next()) {
    }
    while (co_await (*second)->next()) {
    }
    (void)e;
    co_return std::pair{local_during, forwarded_during};
  }());
  EXPECT_EQ(seen.first, 1);
  EXPECT_EQ(seen.second, 1);
  EXPECT_EQ(router().local_in_flight(), 0);
  EXPECT_EQ(peers_.forwarded["b"], 0);
  EXPECT_EQ(b->generate_calls, 1);
}

TEST_F(RouterTest, APeerLostMidStreamEndsTheStreamWithAClearError) {
  for (bool polls : {false, true}) {
    SCOPED_TRACE(polls ? "poll and wait" : "next");
    auto b = peer("b", {"m"});
    b->events = {wire::TextDelta{0, "partial"}};
    b->hang_after_events = true;  // then silent, like a laptop put to sleep
    b->polls = polls;
    auto request = std::make_shared<wire::GenerationRequest>();
    request->model = "m";
    auto r = run(io_, [&]() -> Task<Collected> {
      auto stream = co_await router().generate(request, context_, true);
      Collected c;
      auto first = co_await read_event(**stream);
      c.events.push_back(*first);
      peers_.lose("b");
      while (auto event = co_await read_event(**stream)) {
        if (auto* e = std::get_if<wire::StreamError>(&*event)) c.error = e->error;
      }
      co_return c;
    }());
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->status, 502);
    EXPECT_NE(r.error->message.find("stopped answering"), std::string::npos) << r.error->message;
    EXPECT_TRUE(b->last_canceller->cancelled());
    EXPECT_EQ(peers_.forwarded["b"], 0);
  }
}

TEST_F(RouterTest, TheClientLeavingCancelsTheTryUnderWay) {
  auto b = peer("b", {"m"});
  b->events.clear();
  b->hang_after_events = true;
  auto request = std::make_shared<wire::GenerationRequest>();
  request->model = "m";
  run(io_, [&]() -> Task<int> {
    auto stream = co_await router().generate(request, context_, true);
    // Named, not a temporary in a co_await expression: g++ 12 destroys such temporaries twice.
    auto executor = co_await asio::this_coro::executor;
    asio::post(executor, [c = context_.canceller] { c->cancel(); });
    while (co_await (*stream)->next()) {
    }
    co_return 0;
  }());
  ASSERT_TRUE(b->last_canceller);
  EXPECT_TRUE(b->last_canceller->cancelled());
}

// ---- Embeddings: the same rules ----

TEST_F(RouterTest, EmbeddingsMoveToTheNextHolderAndCountTheirLoad) {
  auto a = local("a", {"e"});
  auto b = peer("b", {"e"}, true, 3);
  a->embed_error = ApiError::server(503, "busy");
  wire::EmbeddingRequest request;
  request.model = "e";
  auto r = run(io_, router().embed(request, context_, true));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->served.engine, "peer:b");
  EXPECT_EQ(r->response.at("engine").as_string(), "b");
  EXPECT_EQ(peers_.max_forwarded["b"], 1);
  EXPECT_EQ(peers_.forwarded["b"], 0);
  EXPECT_EQ(router().local_in_flight(), 0);
}

TEST_F(RouterTest, EmbeddingsFromOneLocalEngineKeepItsOwnErrorWhenThePeerIsNotAnswering) {
  auto a = local("a", {"e"});
  a->embed_error = ApiError::server(500, "failed");
  peer("b", {"e"}, false);
  peers_.peers["b"].reachable = false;
  wire::EmbeddingRequest request;
  request.model = "e";
  auto r = run(io_, router().embed(request, context_, true));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "failed");  // one local engine's own error, kept
}

TEST_F(RouterTest, EmbeddingsAreCancelledWhenTheClientLeaves) {
  auto b = peer("b", {"e"});
  b->embed_hangs = true;
  wire::EmbeddingRequest request;
  request.model = "e";
  auto r = run(io_, [&]() -> Task<Result<Router::Embeddings>> {
    // Named, not a temporary in a co_await expression: g++ 12 destroys such temporaries twice.
    auto executor = co_await asio::this_coro::executor;
    asio::post(executor, [c = context_.canceller] { c->cancel(); });
    co_return co_await router().embed(request, context_, true);
  }());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 499);
  EXPECT_TRUE(b->last_canceller->cancelled());
  EXPECT_EQ(peers_.forwarded["b"], 0);
}

TEST_F(RouterTest, EmbeddingsOnAPeerLostMidCallFailOverToTheNextHolder) {
  auto b = peer("b", {"e"});
  auto c = peer("c", {"e"}, true, 2);
  b->embed_hangs = true;
  wire::EmbeddingRequest request;
  request.model = "e";
  auto r = run(io_, [&]() -> Task<Result<Router::Embeddings>> {
    // Named, not a temporary in a co_await expression: g++ 12 destroys such temporaries twice.
    auto executor = co_await asio::this_coro::executor;
    asio::post(executor, [this] { peers_.lose("b"); });
    co_return co_await router().embed(request, context_, true);
  }());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->served.node_id, "c");
  EXPECT_EQ(c->embed_calls, 1);
}

}  // namespace
}  // namespace quorum::router
