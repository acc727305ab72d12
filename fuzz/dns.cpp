// Any datagram that reaches UDP 5353: the DNS codec and the reading of Quorum announcements.
//
// Invariants:
//  - decode() fails only with dns_malformed, and what it keeps is in proportion to the packet (every
//    question or record it returns took bytes of it);
//  - a decoded message encodes again, and decoding that gives the same message (names, case, rdata);
//  - every announcement read from it names a node and an address, and there are no more of them than PTR
//    records; an announcement of a well-formed node id goes through announcement() and back unchanged.
#include <array>

#include "cluster/dns_message.h"
#include "cluster/mdns_records.h"
#include "support/harness.h"

namespace dns = quorum::cluster::dns;
using quorum::cluster::ServiceAnnouncement;

namespace {

bool plain_node_id(const std::string& id) {
  if (id.empty() || id.size() > 63) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

void check_announcement_round_trip(const ServiceAnnouncement& a) {
  if (!plain_node_id(a.node_id) || a.version.size() > 200 || a.fingerprint.size() > 200) return;
  auto packet = dns::encode(quorum::cluster::announcement(a));
  FUZZ_CHECK(packet.ok(), packet.ok() ? "" : packet.error().message);
  auto decoded = dns::decode(*packet);
  FUZZ_CHECK(decoded.ok());
  auto back = quorum::cluster::read_announcements(*decoded, std::nullopt);
  FUZZ_CHECK(back.size() == 1);
  const auto& b = back.front();
  FUZZ_CHECK(b.node_id == a.node_id && b.version == a.version && b.fingerprint == a.fingerprint);
  FUZZ_CHECK(b.port == a.port && b.addresses == a.addresses);
  FUZZ_CHECK((b.ttl == 0) == (a.ttl == 0));
  FUZZ_CHECK(b.name == (a.name.size() > 200 ? a.name.substr(0, 200) : a.name));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = dns::decode(std::span<const uint8_t>(data, size));
  if (!decoded) {
    FUZZ_CHECK(decoded.error().code == "dns_malformed", decoded.error().message);
    return 0;
  }
  const dns::Message& m = *decoded;
  size_t entries = m.questions.size() + m.answers.size() + m.authorities.size() + m.additionals.size();
  FUZZ_CHECK(12 + entries * 5 <= size);

  auto encoded = dns::encode(m);
  FUZZ_CHECK(encoded.ok(), encoded.ok() ? "" : encoded.error().message);
  auto again = dns::decode(*encoded);
  FUZZ_CHECK(again.ok(), again.ok() ? "" : again.error().message);
  FUZZ_CHECK(*again == m);

  quorum::cluster::asks_for_quorum(m);
  size_t ptrs = 0;
  for (const auto* section : {&m.answers, &m.authorities, &m.additionals}) {
    for (const auto& r : *section) ptrs += r.type == dns::Type::PTR;
  }
  auto announcements = quorum::cluster::read_announcements(m, std::array<uint8_t, 4>{192, 0, 2, 7});
  FUZZ_CHECK(announcements.size() <= ptrs);
  for (const auto& a : announcements) {
    FUZZ_CHECK(!a.node_id.empty() && !a.name.empty() && !a.addresses.empty());
    check_announcement_round_trip(a);
  }
  return 0;
}
