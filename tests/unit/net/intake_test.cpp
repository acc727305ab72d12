// Intake: connections from other machines are capped per address and in total, loopback has a budget of its
// own, and unverified bodies share one budget of bytes. Every place is given back.
#include "net/intake.h"

#include <gtest/gtest.h>

#include <vector>

namespace quorum::net {
namespace {

namespace ip = boost::asio::ip;

IntakeLimits small() {
  IntakeLimits l;
  l.network_connections = 5;
  l.connections_per_source = 2;
  l.loopback_connections = 3;
  l.unverified_body_bytes = 100;
  return l;
}

TEST(Intake, OneAddressGetsItsShareAndNoMore) {
  Intake intake(small());
  auto a1 = intake.admit_connection(ip::make_address("192.0.2.7"));
  auto a2 = intake.admit_connection(ip::make_address("192.0.2.7"));
  EXPECT_TRUE(a1 && a2);
  EXPECT_FALSE(intake.admit_connection(ip::make_address("192.0.2.7")));
  EXPECT_TRUE(intake.admit_connection(ip::make_address("192.0.2.8"))) << "another address has its own share";
}

TEST(Intake, TheNetworkTotalIsCappedAndLoopbackIsServedBeyondIt) {
  Intake intake(small());
  std::vector<Intake::Ticket> held;
  for (int i = 1; i <= 5; ++i) {
    auto t = intake.admit_connection(ip::make_address("192.0.2." + std::to_string(i)));
    ASSERT_TRUE(t);
    held.push_back(std::move(*t));
  }
  EXPECT_EQ(intake.network_connections(), 5u);
  EXPECT_FALSE(intake.admit_connection(ip::make_address("192.0.2.100")));
  auto local = intake.admit_connection(ip::make_address("127.0.0.1"));
  EXPECT_TRUE(local) << "the network's budget spent, this machine is still served";
  EXPECT_EQ(intake.loopback_connections(), 1u);
}

TEST(Intake, LoopbackHasABudgetOfItsOwnAndIPv6AndMappedLoopbackCountThere) {
  Intake intake(small());
  auto a = intake.admit_connection(ip::make_address("127.0.0.1"));
  auto b = intake.admit_connection(ip::make_address("::1"));
  auto c = intake.admit_connection(ip::make_address("::ffff:127.0.0.2"));
  EXPECT_TRUE(a && b && c);
  EXPECT_FALSE(intake.admit_connection(ip::make_address("127.0.0.1")));
  EXPECT_EQ(intake.network_connections(), 0u);
}

TEST(Intake, ATicketGivesItsPlaceBackWhenDestroyed) {
  Intake intake(small());
  {
    auto a = intake.admit_connection(ip::make_address("192.0.2.7"));
    auto b = intake.admit_connection(ip::make_address("192.0.2.7"));
    auto moved = std::move(*a);  // a moved-from ticket gives back nothing
    EXPECT_EQ(intake.network_connections(), 2u);
  }
  EXPECT_EQ(intake.network_connections(), 0u);
  EXPECT_TRUE(intake.admit_connection(ip::make_address("192.0.2.7")));
}

TEST(Intake, AnIPv6Slash64CountsAsOneAddressAndMappedIPv4AsItself) {
  Intake intake(small());
  auto a = intake.admit_connection(ip::make_address("2001:db8:1:2::1"));
  auto b = intake.admit_connection(ip::make_address("2001:db8:1:2:ffff::9"));
  EXPECT_TRUE(a && b);
  EXPECT_FALSE(intake.admit_connection(ip::make_address("2001:db8:1:2::77")));
  EXPECT_TRUE(intake.admit_connection(ip::make_address("2001:db8:1:3::1")));
  EXPECT_EQ(source_of(ip::make_address("::ffff:192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(source_of(ip::make_address("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
}

TEST(Intake, UnverifiedBodiesShareOneBudget) {
  Intake intake(small());
  auto a = intake.reserve_unverified(60);
  ASSERT_TRUE(a);
  EXPECT_FALSE(intake.reserve_unverified(41));
  auto b = intake.reserve_unverified(40);
  ASSERT_TRUE(b);
  EXPECT_EQ(intake.unverified_bytes(), 100u);
  EXPECT_TRUE(intake.reserve_unverified(0)) << "a request without a body needs no room";
  a.reset();
  EXPECT_EQ(intake.unverified_bytes(), 40u);
  EXPECT_TRUE(intake.reserve_unverified(60));
}

TEST(FitToDescriptors, LimitsThatFitAreKept) {
  IntakeLimits defaults;
  auto fitted = fit_to_descriptors(defaults, 1 << 20);
  EXPECT_EQ(fitted.network_connections, defaults.network_connections);
  EXPECT_EQ(fitted.loopback_connections, defaults.loopback_connections);
  EXPECT_EQ(fitted.connections_per_source, defaults.connections_per_source);
}

TEST(FitToDescriptors, ASmallLimitIsSharedAQuarterToTheNetworkWithRoomForEngines) {
  auto fitted = fit_to_descriptors(IntakeLimits{}, 1024);
  // (1024 - 256) / 2 = 384 connections, each with room for an engine's: 96 for the network, 288 for loopback.
  EXPECT_EQ(fitted.network_connections, 96u);
  EXPECT_EQ(fitted.loopback_connections, 288u);
  EXPECT_EQ(fitted.connections_per_source, 64u);
  EXPECT_LE(2 * (fitted.network_connections + fitted.loopback_connections) + kReservedDescriptors, 1024u);
}

TEST(FitToDescriptors, EvenATinyLimitServesOneOfEach) {
  auto fitted = fit_to_descriptors(IntakeLimits{}, 100);
  EXPECT_EQ(fitted.network_connections, 1u);
  EXPECT_EQ(fitted.loopback_connections, 1u);
  EXPECT_EQ(fitted.connections_per_source, 1u);
}

}  // namespace
}  // namespace quorum::net
