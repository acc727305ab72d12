// The dashboard's pure decisions: cookies, CSRF, roles, the sign-in limit; and its password hashes and page.
#include "relay/dashboard_rules.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "relay/dashboard_events.h"
#include "relay/dashboard_page.h"
#include "relay/dashboard_wire.h"
#include "relay/password_hash.h"
#include "relay/password_worker.h"
#include "relay/store_accounts_shared.h"

namespace quorum::relay::dashboard {
namespace {

TEST(DashboardRules, TheSessionCookieIsReadFromAmongOthers) {
  EXPECT_EQ(cookie_value("a=1; quorum_session=abc_-9; b=2", kCookieName), "abc_-9");
  EXPECT_EQ(cookie_value("quorum_session=xyz", kCookieName), "xyz");
  EXPECT_EQ(cookie_value("quorum_session_old=1;  quorum_session = \"q\" ", kCookieName), "q");
  EXPECT_EQ(cookie_value("other=1", kCookieName), "");
  EXPECT_EQ(cookie_value("", kCookieName), "");
}

TEST(DashboardRules, TheCookieIsHttpOnlyStrictAndSecureOverHttps) {
  EXPECT_EQ(session_cookie("v", false),
            "quorum_session=v; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000");
  EXPECT_EQ(session_cookie("v", true),
            "quorum_session=v; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000; Secure");
  EXPECT_EQ(session_cookie("", false), "quorum_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
}

TEST(DashboardRules, MutationsNeedJsonAndTheRelaysOwnOrigin) {
  CsrfInput in{"POST", "application/json",   true, "http://relay.example:8443",
               "",     "relay.example:8443", false};
  EXPECT_TRUE(csrf_allowed(in));
  in.content_type = "application/json; charset=utf-8";
  EXPECT_TRUE(csrf_allowed(in));
  in.content_type = "text/plain";  // what a cross-site form can send without a preflight
  EXPECT_FALSE(csrf_allowed(in));
  in.content_type = "application/json";
  in.origin = "http://evil.example";
  EXPECT_FALSE(csrf_allowed(in));
  in.origin = "https://relay.example:8443";  // another scheme is another origin
  EXPECT_FALSE(csrf_allowed(in));
  in.https = true;
  EXPECT_TRUE(csrf_allowed(in));
  in.origin = "";  // no Origin: only a same-origin fetch
  EXPECT_FALSE(csrf_allowed(in));
  in.sec_fetch_site = "same-origin";
  EXPECT_TRUE(csrf_allowed(in));
  in.sec_fetch_site = "same-site";
  EXPECT_FALSE(csrf_allowed(in));

  CsrfInput del{"DELETE", "", false, "http://r", "", "r", false};
  EXPECT_TRUE(csrf_allowed(del));  // no body: no type needed
  del.has_body = true;
  EXPECT_FALSE(csrf_allowed(del));
  CsrfInput get{"GET", "", false, "", "", "r", false};
  EXPECT_TRUE(csrf_allowed(get));
}

TEST(DashboardRules, OwnersChangeMembersAndTheLastOwnerStays) {
  using V = MemberVerdict;
  EXPECT_EQ(member_change("a", Role::owner, "b", Role::viewer, Role::admin, 1), V::ok);
  EXPECT_EQ(member_change("a", Role::admin, "b", Role::viewer, Role::admin, 1), V::forbidden);
  EXPECT_EQ(member_change("a", Role::admin, "b", Role::viewer, std::nullopt, 1), V::forbidden);
  EXPECT_EQ(member_change("b", Role::viewer, "b", Role::viewer, std::nullopt, 1), V::ok);  // leaving
  EXPECT_EQ(member_change("b", Role::viewer, "b", Role::viewer, Role::owner, 1), V::forbidden);
  EXPECT_EQ(member_change("a", Role::owner, "a", Role::owner, Role::admin, 1), V::last_owner);
  EXPECT_EQ(member_change("a", Role::owner, "a", Role::owner, std::nullopt, 1), V::last_owner);
  EXPECT_EQ(member_change("a", Role::owner, "a", Role::owner, Role::admin, 2), V::ok);
  EXPECT_EQ(member_change("a", Role::owner, "b", Role::owner, Role::owner, 1), V::ok);

  EXPECT_TRUE(may_invite(Role::admin, Role::admin));
  EXPECT_TRUE(may_invite(Role::admin, Role::viewer));
  EXPECT_FALSE(may_invite(Role::admin, Role::owner));
  EXPECT_TRUE(may_invite(Role::owner, Role::owner));
  EXPECT_FALSE(may_invite(Role::viewer, Role::viewer));
}

TEST(DashboardRules, FailedSignInsAreLimitedPerKeyForAMinute) {
  SignInLimiter limiter;
  const auto t0 = SignInLimiter::Clock::time_point{} + std::chrono::hours(1);
  for (size_t i = 0; i < SignInLimiter::kMaxFailures; ++i) {
    EXPECT_EQ(limiter.retry_after("email:a", t0 + std::chrono::seconds(i)), 0);
    limiter.failed("email:a", t0 + std::chrono::seconds(i));
  }
  EXPECT_EQ(limiter.retry_after("email:a", t0 + std::chrono::seconds(10)), 50);
  EXPECT_EQ(limiter.retry_after("email:b", t0 + std::chrono::seconds(10)), 0);
  EXPECT_EQ(limiter.retry_after("email:a", t0 + std::chrono::seconds(60)), 0);  // the first left the window
}

TEST(DashboardPasswords, AHashVerifiesItsPasswordOnly) {
  ::setenv("QUORUM_RELAY_CHEAP_PASSWORDS", "1", 1);
  auto h = password::hash("correct horse");
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->starts_with("$argon2id$"));
  EXPECT_TRUE(password::verify(*h, "correct horse"));
  EXPECT_FALSE(password::verify(*h, "correct horsf"));
  EXPECT_FALSE(password::verify("", "correct horse"));
  EXPECT_FALSE(password::verify("$argon2id$damaged", "correct horse"));
  auto again = password::hash("correct horse");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, *h);  // a fresh salt each time
  EXPECT_EQ(password::hash("short").error().status, 400);
  password::verify_dummy("anything");
}

// A sign-in's argon2id work runs on the password worker: the relay's loop keeps serving meanwhile (a handler
// posted after the check began runs before it ends), and the check resumes on the loop's own thread.
TEST(DashboardPasswords, ChecksRunOffTheEventLoopAndResumeOnIt) {
  ::setenv("QUORUM_RELAY_CHEAP_PASSWORDS", "0", 1);  // the real cost: tens of milliseconds at least
  auto h = password::hash("correct horse");
  ASSERT_TRUE(h.ok());
  boost::asio::io_context loop;
  std::vector<std::string> order;
  std::thread::id resumed_on;
  bool verified = false;
  boost::asio::co_spawn(
      loop,
      [&]() -> boost::asio::awaitable<void> {
        boost::asio::post(loop, [&] { order.push_back("loop served"); });
        verified = co_await password::verify_off_loop(*h, "correct horse");
        resumed_on = std::this_thread::get_id();
        order.push_back("checked");
        auto wrong = co_await password::verify_off_loop(*h, "wrong horse");
        EXPECT_FALSE(wrong);
        auto made = co_await password::hash_off_loop("short");
        EXPECT_EQ(made.error().status, 400);
        co_await password::verify_dummy_off_loop("anything");
      },
      boost::asio::detached);
  loop.run();
  ::setenv("QUORUM_RELAY_CHEAP_PASSWORDS", "1", 1);
  EXPECT_TRUE(verified);
  EXPECT_EQ(resumed_on, std::this_thread::get_id());
  EXPECT_EQ(order, (std::vector<std::string>{"loop served", "checked"}));
}

TEST(DashboardPage, RelayHtmlIsServedForEveryPageAndAssetsAsFiles) {
  static const std::string html = "<html>relay</html>", js = "console.log(1)";
  const std::vector<page::EmbeddedAsset> assets = {{"/index.html", "n", "<html>node</html>"},
                                                   {"/relay.html", "r", html},
                                                   {"/assets/relay-1.js", "e1", js}};
  EXPECT_EQ(page::dashboard_file(assets, "/").body, html);
  EXPECT_EQ(page::dashboard_file(assets, "/clusters/x").body, html);
  EXPECT_EQ(page::dashboard_file(assets, "/index.html").body, html);  // never the node's page
  auto asset = page::dashboard_file(assets, "/assets/relay-1.js");
  EXPECT_EQ(asset.body, js);
  EXPECT_TRUE(asset.immutable);
  EXPECT_EQ(asset.etag, "\"e1\"");
  EXPECT_EQ(page::dashboard_file(assets, "/assets/nope.js").status, 404);
  const auto headers = page::headers_for(page::dashboard_file(assets, "/"));
  EXPECT_EQ(headers.get("Cache-Control"), "no-store");
  EXPECT_EQ(headers.get("X-Frame-Options"), "DENY");
  EXPECT_NE(headers.get("Content-Security-Policy").find("frame-ancestors 'none'"), std::string_view::npos);

  const std::vector<page::EmbeddedAsset> node_only = {{"/index.html", "n", "<html>node</html>"}};
  const auto left_out = page::dashboard_file(node_only, "/");
  EXPECT_EQ(left_out.status, 200);
  EXPECT_NE(left_out.body.find("left out of this build"), std::string::npos);
}

TEST(DashboardEventsTest, ASubscriberThatDoesNotDrainIsDroppedNotGrown) {
  boost::asio::io_context ctx;
  DashboardEvents events;
  auto a = events.subscribe("c1", "u1", Role::admin, ctx.get_executor());
  auto b = events.subscribe("c2", "u2", Role::viewer, ctx.get_executor());
  events.publish("c1", "node", boost::json::object{{"id", "n1"}});
  EXPECT_EQ(a->take(), "event: node\ndata: {\"id\":\"n1\"}\n\n");
  EXPECT_EQ(b->take(), "");
  events.publish("c2", "invite", boost::json::object{{"id", "i1"}}, Role::admin);
  EXPECT_EQ(b->take(), "");  // a viewer is not told of invites
  events.publish("c1", "invite", boost::json::object{{"id", "i1"}}, Role::admin);
  EXPECT_EQ(a->take(), "event: invite\ndata: {\"id\":\"i1\"}\n\n");
  const std::string big(64 * 1024, 'x');
  for (int i = 0; i < 20; ++i) events.publish("c1", "usage", boost::json::value(big));
  EXPECT_TRUE(a->dropped());
  EXPECT_EQ(a->take(), "");
  EXPECT_FALSE(events.has_subscribers("c1"));
  EXPECT_TRUE(events.has_subscribers("c2"));
  auto c = events.subscribe("c2", "u3", Role::viewer, ctx.get_executor());
  events.drop_user("c2", "u2");  // u2's role changed: its stream ends, u3's goes on
  EXPECT_TRUE(b->dropped());
  EXPECT_FALSE(c->dropped());
  events.unsubscribe(c);
  EXPECT_EQ(events.subscribers(), 0u);
}

TEST(DashboardWire, AKeyRequestTakesPositiveLimitsStringModelsAndAnExpiry) {
  auto body =
      boost::json::parse(
          R"({"name":"ci","models":["a",3,"b"],"rpm":60,"tpm":-5,"max_parallel":"2","expires_at":1800000000})")
          .as_object();
  const auto asked = dashboard_wire::key_request(body);
  EXPECT_EQ(asked.name, "ci");
  EXPECT_EQ(asked.models, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(asked.limits.rpm, 60u);
  EXPECT_EQ(asked.limits.tpm, 0u);           // not above 0: none
  EXPECT_EQ(asked.limits.max_parallel, 0u);  // not an integer: none
  EXPECT_EQ(asked.expires_at, 1800000000);
  const auto empty = dashboard_wire::key_request(boost::json::object{});
  EXPECT_EQ(empty.name, "");
  EXPECT_TRUE(empty.models.empty());
  EXPECT_FALSE(empty.expires_at);
}

TEST(DashboardWire, UsageDaysAreTheLast30UnlessTheQuerySays) {
  const UnixSeconds now = 1'764'547'200;  // 2025-12-01
  const auto plain = dashboard_wire::usage_days("/api/clusters/c/usage", now);
  EXPECT_EQ(plain.from, "2025-11-02");
  EXPECT_EQ(plain.to, "2025-12-01");
  const auto asked = dashboard_wire::usage_days("/v1/relay/usage?to=2025-06-30&from=2025-06-01", now);
  EXPECT_EQ(asked.from, "2025-06-01");
  EXPECT_EQ(asked.to, "2025-06-30");
}

TEST(DashboardWire, ANodeHasEveryFieldOnlineOrNot) {
  const auto offline = dashboard_wire::node_json("n1", "box", true, 1700000000, nullptr);
  for (const char* field : {"id", "name", "online", "since", "path", "address", "version", "engines",
                            "models", "load", "revoked"}) {
    EXPECT_TRUE(offline.contains(field)) << field;
  }
  EXPECT_EQ(offline.at("online"), false);
  EXPECT_EQ(offline.at("since"), 1700000000);
  EXPECT_TRUE(offline.at("load").is_null());
  EXPECT_EQ(offline.at("revoked"), true);

  ConnectedNode live;
  live.id = "n1";
  live.name = "gpu box";
  live.address = "203.0.113.7";
  live.connected_at = 1700000100;
  live.has_status = true;
  live.status.version = "0.9.0";
  live.status.engines = {"llama"};
  live.status.models = {{"qwen", true, 0, ""}};
  live.status.in_flight = 2;
  const auto online = dashboard_wire::node_json("n1", "box", false, 1, &live);
  EXPECT_EQ(online.at("online"), true);
  EXPECT_EQ(online.at("name"), "gpu box");
  EXPECT_EQ(online.at("since"), 1700000100);
  EXPECT_EQ(online.at("path"), "relay");
  EXPECT_EQ(online.at("version"), "0.9.0");
  EXPECT_EQ(boost::json::serialize(online.at("engines")), R"([{"name":"llama","kind":null,"healthy":true}])");
  EXPECT_EQ(boost::json::serialize(online.at("models")), R"([{"id":"qwen","loaded":true}])");
  EXPECT_EQ(boost::json::serialize(online.at("load")), R"({"running":2,"queued":null})");
}

TEST(DashboardSql, PostgresGetsDollarParametersAndByteOrder) {
  EXPECT_EQ(accounts_shared::dialect("a = ?1 AND b = ?12 ORDER BY x {C}", true),
            "a = $1 AND b = $12 ORDER BY x COLLATE \"C\"");
  EXPECT_EQ(accounts_shared::dialect("a = ?1 ORDER BY x {C}", false), "a = ?1 ORDER BY x ");
}

}  // namespace
}  // namespace quorum::relay::dashboard
