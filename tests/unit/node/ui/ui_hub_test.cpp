#include "node/ui/ui_hub.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

namespace quorum::node::ui {
namespace {

namespace json = boost::json;

struct Fixture {
  std::string name = "one";
  int in_flight = 0;
  std::shared_ptr<UiHub> hub = std::make_shared<UiHub>([this] {
    UiSources s;
    s.node = [this] { return json::value(json::object{{"name", name}}); };
    s.nodes = [] { return json::value(json::array{}); };
    s.in_flight = [this] { return in_flight; };
    return s;
  }());
};

// The SSE records in `text`, as (event, data) pairs.
std::vector<std::pair<std::string, json::value>> records(const std::string& text) {
  std::vector<std::pair<std::string, json::value>> out;
  size_t at = 0;
  while (true) {
    const size_t end = text.find("\n\n", at);
    if (end == std::string::npos) break;
    const std::string rec = text.substr(at, end - at);
    const size_t e = rec.find("event: ");
    const size_t d = rec.find("data: ");
    out.emplace_back(rec.substr(e + 7, rec.find('\n', e) - e - 7), json::parse(rec.substr(d + 6)));
    at = end + 2;
  }
  return out;
}

TEST(UiHub, AListenerStartsWithTheSnapshotThenGetsEachChangeWhole) {
  boost::asio::io_context io;
  Fixture f;
  auto listener = f.hub->listen(io.get_executor());
  ASSERT_TRUE(listener);
  f.name = "two";
  f.hub->changed(UiPart::kNode);
  auto got = records(listener->take());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, "snapshot");
  EXPECT_EQ(got[0].second.at("node").at("name"), "one");
  EXPECT_EQ(got[1].first, "node");
  EXPECT_EQ(got[1].second.at("name"), "two");
  EXPECT_TRUE(listener->take().empty());
}

TEST(UiHub, RequestsAreKeptNewestFirstWithoutText) {
  boost::asio::io_context io;
  Fixture f;
  for (int i = 0; i < 60; ++i) {
    api::RequestRecord r;
    r.endpoint = "chat";
    r.model = "m" + std::to_string(i);
    r.usage.completion_tokens = i;
    r.duration_seconds = 0.25;
    f.hub->request_done(r);
  }
  auto snap = f.hub->snapshot();
  const auto& recent = snap.at("requests").at("recent").as_array();
  ASSERT_EQ(recent.size(), UiHub::kRecentRequests);
  EXPECT_EQ(recent[0].at("model"), "m59");
  EXPECT_EQ(recent[0].at("duration_ms"), 250);
  EXPECT_TRUE(recent[0].at("ttft_ms").is_null());
  EXPECT_EQ(snap.at("version"), 60);
}

TEST(UiHub, CloseAllEndsEveryStreamAndRefusesNewOnes) {
  boost::asio::io_context io;
  Fixture f;
  auto listener = f.hub->listen(io.get_executor());
  f.hub->close_all("joined cluster x");
  auto got = records(listener->take());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].first, "restarting");
  EXPECT_EQ(got[1].second.at("reason"), "joined cluster x");
  EXPECT_TRUE(listener->closed());
  EXPECT_FALSE(f.hub->listen(io.get_executor()));
}

TEST(UiHub, WithoutAPageNothingIsBuilt) {
  boost::asio::io_context io;
  int built = 0;
  UiSources sources;
  sources.nodes = [&built] {
    ++built;
    return json::value(json::array{});
  };
  sources.in_flight = [&built] { return ++built; };
  auto hub = std::make_shared<UiHub>(sources);
  hub->changed(UiPart::kNodes);
  hub->load_changed();
  EXPECT_EQ(built, 0) << "no page open: neither the part nor the load is built";
  auto listener = hub->listen(io.get_executor());
  const int after_snapshot = built;
  hub->changed(UiPart::kNodes);
  hub->load_changed();
  EXPECT_EQ(built, after_snapshot + 2);
}

TEST(UiHub, ListenersAreBounded) {
  boost::asio::io_context io;
  Fixture f;
  std::vector<std::shared_ptr<UiListener>> open;
  for (size_t i = 0; i < UiHub::kMaxListeners; ++i) open.push_back(f.hub->listen(io.get_executor()));
  EXPECT_FALSE(f.hub->listen(io.get_executor()));
  f.hub->forget(open.back());
  EXPECT_TRUE(f.hub->listen(io.get_executor()));
}

}  // namespace
}  // namespace quorum::node::ui
