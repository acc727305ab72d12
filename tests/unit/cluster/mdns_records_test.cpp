#include "cluster/mdns_records.h"

#include <gtest/gtest.h>

namespace quorum::cluster {
namespace {

ServiceAnnouncement sample() {
  ServiceAnnouncement a;
  a.node_id = "0123456789abcdef0123456789abcdef";
  a.name = "laptop";
  a.version = "0.1.0";
  a.fingerprint = "d8b92be863a880fd";
  a.port = 32768;
  a.addresses = {{192, 168, 1, 20}, {100, 101, 102, 103}};
  return a;
}

std::vector<ServiceAnnouncement> over_the_wire(const dns::Message& m,
                                               std::optional<std::array<uint8_t, 4>> sender = std::nullopt) {
  auto bytes = dns::encode(m);
  EXPECT_TRUE(bytes.ok());
  auto back = dns::decode(*bytes);
  EXPECT_TRUE(back.ok());
  return read_announcements(*back, sender);
}

TEST(MdnsRecords, AnAnnouncementReadsBackWithEveryField) {
  auto found = over_the_wire(announcement(sample()));
  ASSERT_EQ(found.size(), 1u);
  const auto& a = found[0];
  EXPECT_EQ(a.node_id, sample().node_id);
  EXPECT_EQ(a.name, "laptop");
  EXPECT_EQ(a.version, "0.1.0");
  EXPECT_EQ(a.fingerprint, "d8b92be863a880fd");
  EXPECT_EQ(a.port, 32768);
  EXPECT_EQ(a.addresses, sample().addresses);
  EXPECT_GT(a.ttl, 0u);
}

TEST(MdnsRecords, TheAnnouncementCarriesTheRequiredTxtKeysAndNoSecret) {
  auto m = announcement(sample());
  const dns::Record* txt = nullptr;
  for (const auto& r : m.answers) {
    if (r.type == dns::Type::TXT) txt = &r;
  }
  ASSERT_NE(txt, nullptr);
  auto kv = dns::parse_txt(txt->txt);
  EXPECT_EQ(kv["id"], sample().node_id);
  EXPECT_EQ(kv["v"], "0.1.0");
  EXPECT_EQ(kv["c"], "d8b92be863a880fd");
}

TEST(MdnsRecords, AGoodbyeHasTtlZero) {
  auto a = sample();
  a.ttl = 0;
  auto m = announcement(a);
  for (const auto* section : {&m.answers, &m.additionals}) {
    for (const auto& r : *section) EXPECT_EQ(r.ttl, 0u);
  }
  auto found = over_the_wire(m);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].ttl, 0u);
}

TEST(MdnsRecords, WithoutAddressRecordsTheSenderIsUsed) {
  auto a = sample();
  a.addresses.clear();
  auto found = over_the_wire(announcement(a), std::array<uint8_t, 4>{10, 0, 0, 7});
  ASSERT_EQ(found.size(), 1u);
  ASSERT_EQ(found[0].addresses.size(), 1u);
  EXPECT_EQ(found[0].addresses[0], (std::array<uint8_t, 4>{10, 0, 0, 7}));
}

TEST(MdnsRecords, OtherServicesAndIncompleteAnnouncementsAreIgnored) {
  auto m = announcement(sample());
  for (auto& r : m.answers) {
    if (r.type == dns::Type::PTR) r.name = "_http._tcp.local";
  }
  EXPECT_TRUE(over_the_wire(m).empty());
  auto no_srv = announcement(sample());
  std::erase_if(no_srv.answers, [](const dns::Record& r) { return r.type == dns::Type::SRV; });
  EXPECT_TRUE(over_the_wire(no_srv).empty());
}

// The review measured 2.5 ms to read one 8.9 KB packet naming 629 nodes (and 629 records to create).
TEST(MdnsRecords, APacketNamingHundredsOfNodesYieldsAtMostTheCap) {
  dns::Message flood;
  flood.response = true;
  for (int i = 0; i < 600; ++i) {
    auto a = sample();
    a.node_id = "forged-" + std::to_string(i);
    a.addresses = {{10, 0, 0, 9}};
    auto m = announcement(a);
    flood.answers.insert(flood.answers.end(), m.answers.begin(), m.answers.end());
  }
  auto found = read_announcements(flood, std::nullopt);
  ASSERT_EQ(found.size(), kMaxAnnouncementsPerPacket);
  EXPECT_EQ(found.front().node_id, "forged-0");
}

TEST(MdnsRecords, AnIdThatCouldNotTravelIsNoNodeAndABadNameIsReplaced) {
  auto a = sample();
  a.node_id = "evil\nid";
  EXPECT_TRUE(over_the_wire(announcement(a)).empty());
  a = sample();
  a.name = "two\nlines";
  a.version = "\x1b[31m";
  auto found = over_the_wire(announcement(a));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].name, a.node_id);
  EXPECT_EQ(found[0].version, "");
}

TEST(MdnsRecords, BrowseQueriesAreRecognized) {
  EXPECT_TRUE(asks_for_quorum(browse_query()));
  auto upper = browse_query(true);
  upper.questions[0].name = "_QUORUM._tcp.local";
  EXPECT_TRUE(asks_for_quorum(upper));
  dns::Message other;
  other.questions.push_back(dns::Question{"_http._tcp.local", dns::Type::PTR, false});
  EXPECT_FALSE(asks_for_quorum(other));
  EXPECT_FALSE(asks_for_quorum(announcement(sample())));
}

}  // namespace
}  // namespace quorum::cluster
