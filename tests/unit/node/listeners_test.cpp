// Which sockets a node listens on and where its peers reach it, for each rule of node/listeners.h.
#include "node/listeners.h"

#include <gtest/gtest.h>

namespace quorum::node {
namespace {

constexpr Ipv4 kLan{192, 168, 1, 20};
constexpr Ipv4 kVpn{100, 64, 0, 7};

ListenInputs loopback(int threads, unsigned short port = 32768) {
  ListenInputs in;
  in.host = "127.0.0.1";
  in.port = port;
  in.threads = threads;
  return in;
}

ListenInputs in_cluster(ListenInputs in) {
  in.in_cluster = true;
  in.found = {kLan, kVpn};
  return in;
}

std::vector<std::string> hosts(const ListenPlan& plan) {
  std::vector<std::string> out;
  for (const auto& l : plan.listeners) out.push_back(l.host);
  return out;
}

ListenPlan plan_of(const ListenInputs& in) {
  auto plan = plan_listeners(in);
  EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error().message);
  return plan.ok() ? plan.value() : ListenPlan{};
}

TEST(Listeners, ANodeAloneOnOneThreadListensOnceWithoutSharingThePort) {
  auto plan = plan_of(loopback(1));
  ASSERT_EQ(plan.listeners.size(), 1u);
  EXPECT_EQ(plan.listeners[0].host, "127.0.0.1");
  EXPECT_FALSE(plan.listeners[0].reuse_port);
  EXPECT_FALSE(plan.listeners[0].for_peers);
  EXPECT_TRUE(plan.probe_host.empty());
  EXPECT_TRUE(plan.lan.empty());
  EXPECT_FALSE(plan.follow_addresses);
  EXPECT_EQ(plan.reach_address, "127.0.0.1");
}

TEST(Listeners, SeveralThreadsShareThePortAfterAPlainBindProbe) {
  auto plan = plan_of(loopback(4));
  ASSERT_EQ(plan.listeners.size(), 1u);
  EXPECT_TRUE(plan.listeners[0].reuse_port);
  EXPECT_EQ(plan.probe_host, "127.0.0.1");
}

TEST(Listeners, NoProbeWhenThePortIsPickedByTheSystem) {
  auto plan = plan_of(loopback(4, /*port=*/0));
  EXPECT_TRUE(plan.listeners[0].reuse_port);
  EXPECT_TRUE(plan.probe_host.empty());
}

TEST(Listeners, OutsideAClusterTheFoundAndAdvertisedAddressesAreIgnored) {
  auto in = loopback(1);
  in.found = {kLan};
  in.advertise = {"not-an-address"};  // not even parsed
  auto plan = plan_of(in);
  EXPECT_EQ(hosts(plan), (std::vector<std::string>{"127.0.0.1"}));
  EXPECT_TRUE(plan.lan.empty());
  EXPECT_EQ(plan.reach_address, "127.0.0.1");
}

TEST(Listeners, AClusterNodeOnLoopbackAlsoListensOnEveryInterfaceAndFollowsItsAddresses) {
  auto plan = plan_of(in_cluster(loopback(1)));
  EXPECT_EQ(hosts(plan), (std::vector<std::string>{"127.0.0.1", "0.0.0.0"}));
  EXPECT_FALSE(plan.listeners[0].for_peers);
  EXPECT_TRUE(plan.listeners[1].for_peers);
  // Even on one thread: the wildcard listener shares the port with the loopback one.
  EXPECT_TRUE(plan.listeners[0].reuse_port);
  EXPECT_TRUE(plan.listeners[1].reuse_port);
  EXPECT_EQ(plan.probe_host, "0.0.0.0");
  EXPECT_TRUE(plan.follow_addresses);
  EXPECT_EQ(plan.lan, (std::vector<Ipv4>{kLan, kVpn}));
  EXPECT_EQ(plan.reach_address, "192.168.1.20");
}

TEST(Listeners, AClusterNodeWithoutALanAddressIsReachedAtItsListenHost) {
  auto in = in_cluster(loopback(1));
  in.found.clear();
  auto plan = plan_of(in);
  EXPECT_EQ(hosts(plan), (std::vector<std::string>{"127.0.0.1", "0.0.0.0"}));
  EXPECT_TRUE(plan.lan.empty());
  EXPECT_EQ(plan.reach_address, "127.0.0.1");
}

TEST(Listeners, WithAdvertiseAClusterNodeListensOnEachAddressGivenInstead) {
  auto in = in_cluster(loopback(1));
  in.advertise = {"10.0.0.2", "10.0.0.3"};
  auto plan = plan_of(in);
  EXPECT_EQ(hosts(plan), (std::vector<std::string>{"127.0.0.1", "10.0.0.2", "10.0.0.3"}));
  for (const auto& l : plan.listeners) EXPECT_FALSE(l.reuse_port) << l.host;
  EXPECT_TRUE(plan.listeners[1].for_peers);
  EXPECT_TRUE(plan.listeners[2].for_peers);
  EXPECT_TRUE(plan.probe_host.empty());
  EXPECT_FALSE(plan.follow_addresses);
  EXPECT_EQ(plan.lan, (std::vector<Ipv4>{{10, 0, 0, 2}, {10, 0, 0, 3}}));  // the found ones are not used
  EXPECT_EQ(plan.reach_address, "10.0.0.2");
}

TEST(Listeners, WithAdvertiseAndSeveralThreadsEveryListenerSharesItsPort) {
  auto in = in_cluster(loopback(2));
  in.advertise = {"10.0.0.2"};
  auto plan = plan_of(in);
  EXPECT_EQ(hosts(plan), (std::vector<std::string>{"127.0.0.1", "10.0.0.2"}));
  for (const auto& l : plan.listeners) EXPECT_TRUE(l.reuse_port) << l.host;
  EXPECT_EQ(plan.probe_host, "127.0.0.1");
}

TEST(Listeners, AnAdvertisedAddressThatIsTheListenHostIsNotListenedOnTwice) {
  auto in = in_cluster(loopback(1));
  in.advertise = {"127.0.0.1", "10.0.0.2"};
  auto plan = plan_of(in);
  EXPECT_EQ(hosts(plan), (std::vector<std::string>{"127.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(plan.reach_address, "127.0.0.1");  // the first address given, still
}

TEST(Listeners, AClusterNodeListeningOnALanAddressServesItsPeersThereAlone) {
  ListenInputs in = in_cluster(loopback(1));
  in.host = "192.168.1.20";
  auto plan = plan_of(in);
  EXPECT_EQ(hosts(plan), (std::vector<std::string>{"192.168.1.20"}));
  EXPECT_FALSE(plan.listeners[0].reuse_port);
  EXPECT_FALSE(plan.follow_addresses);
  EXPECT_EQ(plan.lan, (std::vector<Ipv4>{kLan, kVpn}));  // still announced
  EXPECT_EQ(plan.reach_address, "192.168.1.20");

  in.advertise = {"10.0.0.2"};
  plan = plan_of(in);
  EXPECT_EQ(hosts(plan), (std::vector<std::string>{"192.168.1.20"}));
  EXPECT_EQ(plan.lan, (std::vector<Ipv4>{{10, 0, 0, 2}}));
  EXPECT_EQ(plan.reach_address, "192.168.1.20");
}

TEST(Listeners, ABadAdvertiseValueStopsAClusterNode) {
  auto in = in_cluster(loopback(1));
  in.advertise = {"10.0.0.2", "fe80::1"};
  auto plan = plan_listeners(in);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().message, "--advertise fe80::1: not an IPv4 address (IPv6 is not supported yet)");
}

TEST(Listeners, ParseAdvertiseAcceptsIpv4AndNamesTheFirstBadValue) {
  auto ok = parse_advertise({"192.168.1.20", "10.0.0.2"});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value(), (std::vector<Ipv4>{kLan, {10, 0, 0, 2}}));

  auto empty = parse_advertise({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty.value().empty());

  for (const std::string bad : {"node-a.local", "192.168.1", "::1", ""}) {
    auto parsed = parse_advertise({"10.0.0.2", bad, "also-bad"});
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().message,
              "--advertise " + bad + ": not an IPv4 address (IPv6 is not supported yet)");
  }
}

}  // namespace
}  // namespace quorum::node
