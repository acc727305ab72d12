// stream_generation (src/node/api/stream_response.h): what the client gets, and what the request's record
// keeps, when a stream goes well, fails before its first byte, or the client leaves mid-way.
#include "node/api/stream_response.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace quorum::node::api {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// An engine's stream: `reads` are what each read of the engine gives; after the last one it waits until
// cancelled (an engine that would go on), unless `ends`. With `polls`, it also takes poll() and wait() (one
// read per wait, as an engine's SSE stream does), else next() alone.
class FakeStream : public engines::EventStream {
 public:
  FakeStream(asio::io_context& io, std::vector<std::vector<wire::StreamEvent>> reads, bool ends)
      : reads_(reads.begin(), reads.end()), ends_(ends), wake_(io) {}

  net::Task<std::optional<wire::StreamEvent>> next() override {
    std::optional<wire::StreamEvent> event;
    while (!take(event)) co_await read();
    co_return event;
  }
  bool buffered() const override { return !current_.empty(); }
  bool poll(std::optional<wire::StreamEvent>& event) override { return polls && take(event); }
  bool waits() const override { return polls; }
  net::Task<void> wait() override { return read(); }
  void cancel() override {
    cancelled = true;
    wake_.cancel();
  }

  bool cancelled = false;
  bool polls = false;
  std::function<void()> before_read;  // called before each read is taken (e.g. a failover moving `served`)

 private:
  // The next event of the read taken, or the end; false when another read is needed.
  bool take(std::optional<wire::StreamEvent>& event) {
    if (!current_.empty()) {
      event = std::move(current_.front());
      current_.pop_front();
      return true;
    }
    if (cancelled || (reads_.empty() && ends_)) {
      event.reset();
      return true;
    }
    return false;
  }
  // Takes the next read, or waits until cancelled when there is none (an engine that would go on).
  net::Task<void> read() {
    if (before_read) before_read();
    if (reads_.empty()) {
      wake_.expires_at(std::chrono::steady_clock::time_point::max());
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    current_.assign(reads_.front().begin(), reads_.front().end());
    reads_.pop_front();
  }

  std::deque<std::vector<wire::StreamEvent>> reads_;
  std::deque<wire::StreamEvent> current_;
  bool ends_;
  asio::steady_timer wake_;
};

// A client that takes every write; it leaves once `leave_after` has reached it. `slow`: write_now() never
// takes a write at once (a connection that is full), so that every piece goes through write() after it.
class FakeClient : public net::ResponseWriter {
 public:
  explicit FakeClient(asio::io_context& io) : io_(io) {}
  net::Task<bool> send(int s, const net::Headers&, std::string body) override {
    if (started_) co_return false;
    status = s;
    received = std::move(body);
    started_ = true;
    co_return true;
  }
  net::Task<bool> begin_stream(int s, const net::Headers& headers) override {
    status = s;
    heads.emplace_back(headers.get("x-quorum-node-id"));
    co_return true;
  }
  net::Task<bool> write(std::string_view data) override {
    std::string whole = std::exchange(kept_, std::string());
    whole += data;
    co_return take(whole);
  }
  bool write_now(std::string_view data) override {
    if (gone_) return false;
    if (slow) {
      kept_.assign(data);
      return false;
    }
    return take(data);
  }
  net::Task<bool> end_stream(std::string_view last) override {
    started_ = true;
    received += last;
    ++writes;
    co_return true;
  }
  net::Task<void> wait_client_gone() override { co_return; }
  bool client_gone() const override { return gone_; }
  bool started() const override { return started_; }
  void watch(std::function<void()> on_gone, std::chrono::milliseconds, std::string) override {
    on_gone_ = std::move(on_gone);
  }
  void unwatch() override { on_gone_ = nullptr; }

  std::string leave_after;
  std::vector<std::string> heads;  // the node each head made names (x-quorum-node-id)
  std::string received;
  int status = 0;
  int writes = 0;
  bool slow = false;

 private:
  bool take(std::string_view data) {
    if (gone_) return false;
    started_ = true;
    received += data;
    ++writes;
    if (!leave_after.empty() && received.find(leave_after) != std::string::npos) {
      gone_ = true;
      if (on_gone_) asio::post(io_, std::exchange(on_gone_, nullptr));
    }
    return true;
  }

  std::string kept_;  // what write_now() did not take, for write() to send
  asio::io_context& io_;
  bool gone_ = false;
  bool started_ = false;
  std::function<void()> on_gone_;
};

// The ways stream_generation() may be driven: next() or poll()/wait(), and a client that takes each write at
// once or one that takes them only through write().
struct Way {
  bool polls;
  bool slow;
};

class StreamGeneration : public ::testing::TestWithParam<Way> {
 protected:
  void drive(FakeClient& client, FakeStream& engine) const {
    engine.polls = GetParam().polls;
    client.slow = GetParam().slow;
  }
};

struct Run {
  StreamOutcome outcome;
  bool done = false;
};

Run stream(asio::io_context& io, FakeClient& client, FakeStream& engine, bool stream_mode = true,
           const router::Served* served_by = nullptr) {
  Run run;
  wire::StreamIdentity identity;
  identity.id = "chatcmpl-test";
  const std::string request_id = "req-1";
  const router::Served nobody;
  const router::Served& served = served_by ? *served_by : nobody;
  asio::co_spawn(
      io,
      [&]() -> net::Task<void> {
        co_await stream_generation(client, engine, stream_mode, 15s, identity, request_id,
                                   std::chrono::steady_clock::now(), served, run.outcome);
        run.done = true;
      },
      asio::detached);
  io.run_for(5s);
  return run;
}

TEST_P(StreamGeneration, TheEventsOfOneReadGoOutInOneWrite) {
  asio::io_context io{1};
  FakeClient client(io);
  FakeStream engine(io,
                    {{wire::TextDelta{0, "one "}, wire::TextDelta{0, "two "}},
                     {wire::TextDelta{0, "three"}},
                     {wire::Finish{0, wire::FinishReason::kStop}}},
                    true);
  drive(client, engine);
  auto run = stream(io, client, engine);
  ASSERT_TRUE(run.done);
  // role + "one " + "two ", then "three", then the finish chunk, then (the engine's end) [DONE].
  EXPECT_EQ(client.writes, 4);
  EXPECT_NE(client.received.find("three"), std::string::npos);
  EXPECT_NE(client.received.find("[DONE]"), std::string::npos);
  EXPECT_EQ(run.outcome.status, 200);
  EXPECT_EQ(run.outcome.usage.completion_tokens, 3);
}

TEST_P(StreamGeneration, AClientLeavingMidStreamKeepsTheFirstTokenTimeAndTheTokensSent) {
  asio::io_context io{1};
  FakeClient client(io);
  client.leave_after = "three";
  FakeStream engine(
      io, {{wire::TextDelta{0, "one "}}, {wire::TextDelta{0, "two "}}, {wire::TextDelta{0, "three"}}}, false);
  drive(client, engine);
  auto run = stream(io, client, engine);
  ASSERT_TRUE(run.done);
  EXPECT_TRUE(engine.cancelled);  // every hop behind the client is stopped
  EXPECT_EQ(run.outcome.status, 499);
  ASSERT_TRUE(run.outcome.ttft_seconds.has_value());
  EXPECT_GE(*run.outcome.ttft_seconds, 0.0);
  EXPECT_EQ(run.outcome.usage.completion_tokens, 3);
}

TEST_P(StreamGeneration, AnErrorBeforeTheFirstByteIsTheResponseWithItsStatus) {
  asio::io_context io{1};
  FakeClient client(io);
  FakeStream engine(io, {{wire::StreamError{ApiError{400, "invalid_request_error", "too long", {}, {}}}}},
                    true);
  drive(client, engine);
  auto run = stream(io, client, engine);
  ASSERT_TRUE(run.done);
  EXPECT_EQ(client.status, 400);
  EXPECT_EQ(run.outcome.status, 400);
  EXPECT_NE(client.received.find("too long"), std::string::npos);
  EXPECT_EQ(client.received.find("data:"), std::string::npos);
}

TEST_P(StreamGeneration, AnErrorAfterTheFirstByteIsInBandThenDone) {
  asio::io_context io{1};
  FakeClient client(io);
  FakeStream engine(io,
                    {{wire::TextDelta{0, "Hi"}},
                     {wire::StreamError{ApiError::server(502, "Engine 'e' stream broke: reset.")}}},
                    true);
  drive(client, engine);
  auto run = stream(io, client, engine);
  ASSERT_TRUE(run.done);
  EXPECT_EQ(client.status, 200);
  EXPECT_NE(client.received.find("data: {\"error\""), std::string::npos);
  EXPECT_NE(client.received.rfind("data: [DONE]\n\n"), std::string::npos);
  EXPECT_EQ(run.outcome.error_type, "server_error");
}

TEST_P(StreamGeneration, ANonStreamingClientGetsOneObject) {
  asio::io_context io{1};
  FakeClient client(io);
  FakeStream engine(io, {{wire::TextDelta{0, "Hel"}}, {wire::TextDelta{0, "lo"}, wire::Usage{3, 2}}}, true);
  drive(client, engine);
  auto run = stream(io, client, engine, /*stream_mode=*/false);
  ASSERT_TRUE(run.done);
  EXPECT_EQ(client.status, 200);
  EXPECT_NE(client.received.find("\"content\":\"Hello\""), std::string::npos);
  EXPECT_EQ(client.writes, 0);
  EXPECT_EQ(run.outcome.usage.completion_tokens, 2);
}

// The head is made once when the node serving does not change, and made again, naming the new one, when the
// stream moved to another node before its first event (a failover): the client is told who served it.
TEST_P(StreamGeneration, TheHeadNamesTheNodeServingWhenTheFirstBytesGoOut) {
  {
    asio::io_context io{1};
    FakeClient client(io);
    FakeStream engine(io, {{wire::TextDelta{0, "a"}}, {wire::Finish{0, wire::FinishReason::kStop}}}, true);
    drive(client, engine);
    const router::Served served{"e", "node-a", "A"};
    auto run = stream(io, client, engine, true, &served);
    ASSERT_TRUE(run.done);
    EXPECT_EQ(client.heads, std::vector<std::string>{"node-a"});
  }
  {
    asio::io_context io{1};
    FakeClient client(io);
    FakeStream engine(io, {{wire::TextDelta{0, "a"}}, {wire::Finish{0, wire::FinishReason::kStop}}}, true);
    drive(client, engine);
    router::Served served{"e", "node-a", "A"};
    engine.before_read = [&served] { served = router::Served{"e", "node-b", "B"}; };
    auto run = stream(io, client, engine, true, &served);
    ASSERT_TRUE(run.done);
    EXPECT_EQ(client.heads, (std::vector<std::string>{"node-a", "node-b"}));
    EXPECT_NE(client.received.find("\"a\""), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Ways, StreamGeneration,
                         ::testing::Values(Way{false, false}, Way{true, false}, Way{true, true}),
                         [](const ::testing::TestParamInfo<Way>& info) {
                           return std::string(info.param.polls ? "PollAndWait" : "Next") +
                                  (info.param.slow ? "SlowClient" : "");
                         });

}  // namespace
}  // namespace quorum::node::api
