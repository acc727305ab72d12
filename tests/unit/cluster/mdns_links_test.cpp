#include "cluster/mdns_links.h"

#include <gtest/gtest.h>

namespace quorum::cluster {
namespace {

// eth0 (2): 192.168.1.10/24 and an alias 10.1.0.5/16; wg0 (3): a point-to-point link to 10.99.0.1; lo (1).
const std::vector<InterfaceAddress> kTable = {
    {1, {127, 0, 0, 1}, {255, 0, 0, 0}, std::nullopt},
    {2, {192, 168, 1, 10}, {255, 255, 255, 0}, std::nullopt},
    {2, {10, 1, 0, 5}, {255, 255, 0, 0}, std::nullopt},
    {3, {10, 99, 0, 2}, {255, 255, 255, 255}, Ipv4{10, 99, 0, 1}},
};

TEST(MdnsLinks, ANeighbourOnTheArrivalInterfacesSubnetIsOnLink) {
  EXPECT_TRUE(on_link(kTable, 2, {192, 168, 1, 77}));
  EXPECT_TRUE(on_link(kTable, 2, {10, 1, 200, 3})) << "the subnet of another address of that interface";
  EXPECT_TRUE(on_link(kTable, 2, {192, 168, 1, 10})) << "this host's own packets, looped back";
  EXPECT_TRUE(on_link(kTable, 3, {10, 99, 0, 1})) << "the other end of a point-to-point link";
}

TEST(MdnsLinks, ASenderBeyondARouterOrOnAnotherInterfaceIsNot) {
  EXPECT_FALSE(on_link(kTable, 2, {8, 8, 8, 8}));
  EXPECT_FALSE(on_link(kTable, 2, {192, 168, 2, 1})) << "the next subnet";
  EXPECT_FALSE(on_link(kTable, 3, {192, 168, 1, 77})) << "eth0's subnet, arriving on wg0";
  EXPECT_FALSE(on_link(kTable, 3, {10, 99, 0, 3}));
  EXPECT_FALSE(on_link(kTable, 9, {192, 168, 1, 77})) << "an interface this host does not know";
  EXPECT_FALSE(on_link({}, 2, {192, 168, 1, 77}));
}

TEST(MdnsLinks, LinkLocalIsAlwaysOnLinkAndAnUnknownArrivalChecksEveryInterface) {
  EXPECT_TRUE(on_link(kTable, 3, {169, 254, 3, 4}));
  EXPECT_TRUE(on_link({}, 7, {169, 254, 3, 4}));
  EXPECT_TRUE(on_link(kTable, 0, {10, 1, 2, 3}));
  EXPECT_FALSE(on_link(kTable, 0, {172, 16, 0, 1}));
}

TEST(MdnsLinks, TheInterfaceOfAnAddress) {
  EXPECT_EQ(interface_of(kTable, {10, 1, 0, 5}), 2u);
  EXPECT_EQ(interface_of(kTable, {10, 99, 0, 2}), 3u);
  EXPECT_EQ(interface_of(kTable, {10, 1, 0, 6}), 0u);
}

}  // namespace
}  // namespace quorum::cluster
