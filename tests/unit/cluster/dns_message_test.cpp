#include "cluster/dns_message.h"

#include <gtest/gtest.h>

#include <random>

namespace quorum::cluster::dns {
namespace {

Record ptr(std::string name, std::string target, uint32_t ttl = 4500) {
  Record r;
  r.name = std::move(name);
  r.type = Type::PTR;
  r.ttl = ttl;
  r.target = std::move(target);
  return r;
}

// What node-1 sends to announce itself: the PTR that browsers ask for, and its SRV, TXT and address.
Message announcement() {
  Message m;
  m.response = true;
  m.authoritative = true;
  m.answers.push_back(ptr("_quorum._tcp.local", "node-1._quorum._tcp.local"));
  Record srv;
  srv.name = "node-1._quorum._tcp.local";
  srv.type = Type::SRV;
  srv.cache_flush = true;
  srv.ttl = 120;
  srv.port = 32768;
  srv.target = "vm.local";
  Record txt;
  txt.name = "node-1._quorum._tcp.local";
  txt.type = Type::TXT;
  txt.cache_flush = true;
  txt.ttl = 4500;
  txt.txt = {"id=3f9a0c2e71d84b56", "v=0.1.0", "c=9d1e4b7a"};
  Record a;
  a.name = "vm.local";
  a.type = Type::A;
  a.cache_flush = true;
  a.ttl = 120;
  a.ipv4 = {192, 168, 1, 20};
  m.additionals = {srv, txt, a};
  return m;
}

std::vector<uint8_t> encoded(const Message& m) {
  auto bytes = encode(m);
  EXPECT_TRUE(bytes.ok()) << (bytes.ok() ? "" : bytes.error().message);
  return bytes.ok() ? bytes.value() : std::vector<uint8_t>();
}

// The error message of decoding `bytes`, or "decoded" if it decodes.
std::string decode_error(const std::vector<uint8_t>& bytes) {
  auto m = decode(bytes);
  if (m.ok()) return "decoded";
  EXPECT_EQ(m.error().code, "dns_malformed");
  return m.error().message;
}

std::vector<uint8_t> header(uint16_t qd, uint16_t an, uint16_t ns = 0, uint16_t ar = 0, uint16_t flags = 0) {
  return {0,
          0,
          static_cast<uint8_t>(flags >> 8),
          static_cast<uint8_t>(flags),
          static_cast<uint8_t>(qd >> 8),
          static_cast<uint8_t>(qd),
          static_cast<uint8_t>(an >> 8),
          static_cast<uint8_t>(an),
          static_cast<uint8_t>(ns >> 8),
          static_cast<uint8_t>(ns),
          static_cast<uint8_t>(ar >> 8),
          static_cast<uint8_t>(ar)};
}

void append(std::vector<uint8_t>& to, std::initializer_list<int> bytes) {
  for (int b : bytes) to.push_back(static_cast<uint8_t>(b));
}
void append(std::vector<uint8_t>& to, std::string_view text) {
  to.insert(to.end(), text.begin(), text.end());
}

TEST(DnsMessage, AnnouncementRoundTrips) {
  Message m = announcement();
  auto back = decode(encoded(m));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value(), m);

  const Message& d = back.value();
  EXPECT_TRUE(d.response);
  EXPECT_TRUE(d.authoritative);
  ASSERT_EQ(d.answers.size(), 1u);
  EXPECT_EQ(d.answers[0].type, Type::PTR);
  EXPECT_FALSE(d.answers[0].cache_flush);  // shared record
  EXPECT_EQ(d.answers[0].ttl, 4500u);
  EXPECT_EQ(d.answers[0].target, "node-1._quorum._tcp.local");
  ASSERT_EQ(d.additionals.size(), 3u);
  EXPECT_EQ(d.additionals[0].type, Type::SRV);
  EXPECT_TRUE(d.additionals[0].cache_flush);
  EXPECT_EQ(d.additionals[0].ttl, 120u);
  EXPECT_EQ(d.additionals[0].port, 32768);
  EXPECT_EQ(d.additionals[0].target, "vm.local");
  auto kv = parse_txt(d.additionals[1].txt);
  EXPECT_EQ(kv["id"], "3f9a0c2e71d84b56");
  EXPECT_EQ(kv["v"], "0.1.0");
  EXPECT_EQ(kv["c"], "9d1e4b7a");
  EXPECT_EQ(d.additionals[2].ipv4, (std::array<uint8_t, 4>{192, 168, 1, 20}));
}

TEST(DnsMessage, AaaaAndUnknownTypesRoundTrip) {
  Message m;
  Record aaaa;
  aaaa.name = "vm.local";
  aaaa.type = Type::AAAA;
  aaaa.ipv6 = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0xff, 0xfe, 0x78, 0x9a, 0xbc};
  Record hinfo;
  hinfo.name = "vm.local";
  hinfo.type = static_cast<Type>(13);
  hinfo.rdata = {3, 'x', '8', '6', 5, 'L', 'i', 'n', 'u', 'x'};
  m.answers = {aaaa, hinfo};
  auto back = decode(encoded(m));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value(), m);
}

TEST(DnsMessage, CompressionShrinksRepeatedSuffixes) {
  Message m = announcement();
  m.answers.push_back(ptr("_quorum._tcp.local", "node-2._quorum._tcp.local"));
  m.answers.push_back(ptr("_quorum._tcp.local", "node-3._quorum._tcp.local"));
  auto bytes = encoded(m);

  // The same message with every name written out in full: each name takes its length plus two bytes.
  size_t uncompressed = 12;
  for (const auto& r : m.answers) uncompressed += r.name.size() + 2 + 10 + r.target.size() + 2;
  const auto& srv = m.additionals[0];
  uncompressed += srv.name.size() + 2 + 10 + 6 + srv.target.size() + 2;
  const auto& txt = m.additionals[1];
  uncompressed += txt.name.size() + 2 + 10;
  for (const auto& s : txt.txt) uncompressed += 1 + s.size();
  uncompressed += m.additionals[2].name.size() + 2 + 10 + 4;

  EXPECT_LT(bytes.size() + 100, uncompressed);
  auto back = decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value(), m);

  // Exactly: a question, then a record with the same name (a pointer), then a name sharing a suffix.
  Message q;
  q.questions.push_back({"_quorum._tcp.local", Type::PTR});
  q.answers.push_back(ptr("_quorum._tcp.local", "a._quorum._tcp.local"));
  auto small = encoded(q);
  // header + question (20 + 4) + record name pointer (2) + fixed fields (10) + target "a" + pointer (4)
  EXPECT_EQ(small.size(), 12u + 24 + 2 + 10 + 4);
  EXPECT_EQ(small[36], 0xc0);
  EXPECT_EQ(small[37], 12);
}

TEST(DnsMessage, CompressionKeepsCaseAndMatchesExactly) {
  Message m;
  m.answers.push_back(ptr("_quorum._tcp.local", "Node-1._quorum._tcp.local"));
  m.answers.push_back(ptr("_QUORUM._tcp.local", "node-1._quorum._tcp.local"));
  auto back = decode(encoded(m));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value(), m);
  EXPECT_TRUE(same_name(back->answers[0].target, back->answers[1].target));
}

TEST(DnsMessage, QueryWithTheQuBit) {
  Message m;
  m.questions.push_back({"_quorum._tcp.local", Type::PTR, true});
  m.questions.push_back({"vm.local", Type::ANY, false});
  auto bytes = encoded(m);
  // The first question's name is 20 bytes from offset 12, then type 12 and class IN with the top bit set.
  ASSERT_GE(bytes.size(), 36u);
  EXPECT_EQ(bytes[2], 0);  // a query: QR clear
  EXPECT_EQ(bytes[32], 0x00);
  EXPECT_EQ(bytes[33], 12);
  EXPECT_EQ(bytes[34], 0x80);
  EXPECT_EQ(bytes[35], 0x01);
  auto back = decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_FALSE(back->response);
  ASSERT_EQ(back->questions.size(), 2u);
  EXPECT_TRUE(back->questions[0].unicast_response);
  EXPECT_FALSE(back->questions[1].unicast_response);
  EXPECT_EQ(back->questions[1].type, Type::ANY);
  EXPECT_EQ(back.value(), m);
}

TEST(DnsMessage, GoodbyeHasTtlZero) {
  Message m;
  m.response = true;
  m.authoritative = true;
  m.answers.push_back(ptr("_quorum._tcp.local", "node-1._quorum._tcp.local", 0));
  auto bytes = encoded(m);
  // The TTL follows the name (20 bytes from 12), type and class.
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 36, bytes.begin() + 40), (std::vector<uint8_t>{0, 0, 0, 0}));
  auto back = decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->answers.size(), 1u);
  EXPECT_EQ(back->answers[0].ttl, 0u);
  EXPECT_EQ(back.value(), m);
}

TEST(DnsMessage, EscapedDotsStayInsideTheLabel) {
  Message m;
  m.answers.push_back(ptr("_quorum._tcp.local", "Lab 2\\.1 \\\\ b._quorum._tcp.local"));
  auto bytes = encoded(m);
  std::string wire(bytes.begin(), bytes.end());
  EXPECT_NE(wire.find(std::string("\x0bLab 2.1 \\ b\xc0\x0c", 14)), std::string::npos);
  auto back = decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value(), m);
}

TEST(DnsMessage, EmptyTxtIsOneEmptyString) {
  Message m;
  Record r;
  r.name = "node-1._quorum._tcp.local";
  r.type = Type::TXT;
  m.answers.push_back(r);
  auto bytes = encoded(m);
  EXPECT_EQ(bytes[bytes.size() - 3], 0);  // rdlength 1
  EXPECT_EQ(bytes[bytes.size() - 2], 1);
  EXPECT_EQ(bytes.back(), 0);
  auto back = decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value(), m);

  auto no_rdata = header(0, 1);  // rdlength 0 is read the same way
  append(no_rdata, {0, 0, 16, 0, 1, 0, 0, 0, 1, 0, 0});
  auto d = decode(no_rdata);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->answers.size(), 1u);
  EXPECT_TRUE(d->answers[0].txt.empty());
}

TEST(DnsMessage, ManyRecordsPastTheReachOfPointers) {
  // Past offset 0x3fff names can no longer be pointed at; they must still be written and read correctly.
  Message m;
  for (int i = 0; i < 120; ++i) {
    Record r;
    r.name = "node-" + std::to_string(i) + "._quorum._tcp.local";
    r.type = Type::TXT;
    r.txt = {std::string(255, static_cast<char>('a' + i % 26)), "i=" + std::to_string(i)};
    m.answers.push_back(r);
    m.answers.push_back(ptr("_quorum._tcp.local", r.name));
  }
  auto bytes = encoded(m);
  EXPECT_GT(bytes.size(), 0x4000u * 2);
  auto back = decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value(), m);
}

// A response as an mDNS responder would send it, written out by hand: one PTR answer and SRV, TXT, A and
// NSEC additionals, with compression pointers into the PTR's owner name and rdata and into the SRV target.
std::vector<uint8_t> hand_written_response() {
  std::vector<uint8_t> b = header(0, 1, 0, 4, 0x8400);  // QR and AA
  // offset 12: _quorum._tcp.local (_tcp at 20, local at 25); PTR IN, TTL 4500, rdlength 9
  append(b, {7});
  append(b, "_quorum");
  append(b, {4});
  append(b, "_tcp");
  append(b, {5});
  append(b, "local");
  append(b, {0, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x11, 0x94, 0x00, 0x09});
  // offset 42: node-1 + pointer to 12
  append(b, {6});
  append(b, "node-1");
  append(b, {0xc0, 0x0c});
  // offset 51: SRV, owner pointer to 42, cache-flush IN, TTL 120, rdlength 11; port 32768, target at 69:
  // vm + pointer to local (25)
  append(b, {0xc0, 0x2a, 0x00, 0x21, 0x80, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x0b});
  append(b, {0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 2, 'v', 'm', 0xc0, 0x19});
  // offset 74: TXT, owner pointer to 42, cache-flush IN, TTL 4500, rdlength 15
  append(b, {0xc0, 0x2a, 0x00, 0x10, 0x80, 0x01, 0x00, 0x00, 0x11, 0x94, 0x00, 0x0f});
  append(b, {6});
  append(b, "id=abc");
  append(b, {7});
  append(b, "v=0.1.0");
  // offset 101: A, owner pointer to vm.local (69), cache-flush IN, TTL 120, 192.168.1.20
  append(b, {0xc0, 0x45, 0x00, 0x01, 0x80, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x04, 192, 168, 1, 20});
  // offset 117: NSEC (47) for vm.local asserting A and AAAA, kept as raw rdata
  append(b, {0xc0, 0x45, 0x00, 0x2f, 0x80, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x08});
  append(b, {0xc0, 0x45, 0x00, 0x04, 0x40, 0x00, 0x00, 0x08});
  return b;
}

TEST(DnsMessage, DecodesAHandWrittenResponse) {
  auto bytes = hand_written_response();
  ASSERT_EQ(bytes.size(), 137u);
  auto m = decode(bytes);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->response);
  EXPECT_TRUE(m->authoritative);
  EXPECT_TRUE(m->questions.empty());
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].name, "_quorum._tcp.local");
  EXPECT_EQ(m->answers[0].target, "node-1._quorum._tcp.local");
  EXPECT_EQ(m->answers[0].ttl, 4500u);
  ASSERT_EQ(m->additionals.size(), 4u);
  const auto& srv = m->additionals[0];
  EXPECT_EQ(srv.name, "node-1._quorum._tcp.local");
  EXPECT_EQ(srv.type, Type::SRV);
  EXPECT_TRUE(srv.cache_flush);
  EXPECT_EQ(srv.ttl, 120u);
  EXPECT_EQ(srv.port, 32768);
  EXPECT_EQ(srv.target, "vm.local");
  const auto& txt = m->additionals[1];
  EXPECT_EQ(txt.txt, (std::vector<std::string>{"id=abc", "v=0.1.0"}));
  const auto& a = m->additionals[2];
  EXPECT_EQ(a.name, "vm.local");
  EXPECT_EQ(a.ipv4, (std::array<uint8_t, 4>{192, 168, 1, 20}));
  const auto& nsec = m->additionals[3];
  EXPECT_EQ(static_cast<int>(nsec.type), 47);
  EXPECT_EQ(nsec.name, "vm.local");
  EXPECT_EQ(nsec.rdata, (std::vector<uint8_t>{0xc0, 0x45, 0x00, 0x04, 0x40, 0x00, 0x00, 0x08}));

  // Bytes after the last record are ignored.
  bytes.push_back(0);
  EXPECT_TRUE(decode(bytes).ok());
}

TEST(DnsMessage, DropsRecordsOfOtherClasses) {
  std::vector<uint8_t> b = header(1, 1);
  append(b, {2, 'v', 'm', 0, 0x00, 0x01, 0x00, 0x03});  // question of class CH
  append(b, {0xc0, 0x0c, 0x00, 0x01, 0x00, 0x03, 0, 0, 0, 1, 0x00, 0x04, 1, 2, 3, 4});  // A of class CH
  auto m = decode(b);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->questions.empty());
  EXPECT_TRUE(m->answers.empty());
}

TEST(DnsMessage, RefusesTruncatedMessages) {
  auto bytes = hand_written_response();
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_NE(decode_error(std::vector<uint8_t>(bytes.begin(), bytes.begin() + n)), "decoded") << n;
  }
  EXPECT_NE(decode_error(header(1, 0)).find("counts"), std::string::npos);
}

TEST(DnsMessage, RefusesCompressionLoops) {
  // A pointer to itself.
  auto self = header(1, 0);
  append(self, {0xc0, 0x0c, 0, 1, 0, 1});
  EXPECT_NE(decode_error(self).find("backwards"), std::string::npos);
  // A label, then a pointer back to that label.
  auto loop = header(1, 0);
  append(loop, {1, 'a', 0xc0, 0x0c, 0, 1, 0, 1});
  EXPECT_NE(decode_error(loop).find("backwards"), std::string::npos);
  // A pointer forwards.
  auto forward = header(1, 0);
  append(forward, {0xc0, 0x0e, 1, 'a', 0, 0, 1, 0, 1});
  EXPECT_NE(decode_error(forward).find("backwards"), std::string::npos);
  // "a", "b", then a pointer to "b": behind the pointer, yet following it would read "b" and the pointer
  // again forever. A pointer must point before the run of labels it ends.
  auto behind = header(1, 0);
  append(behind, {1, 'a', 1, 'b', 0xc0, 0x0e, 0, 1, 0, 1});
  EXPECT_NE(decode_error(behind).find("backwards"), std::string::npos);
  // The same after a first jump: the first question is one 6-byte label, inside which the second question's
  // pointer lands on 01 'b' C0 0D, a pointer behind itself to where the first jump landed.
  auto after_jump = header(2, 0);
  append(after_jump, {6, 1, 'b', 0xc0, 0x0d, 'z', 'z', 0, 0, 1, 0, 1});  // at 12
  append(after_jump, {0xc0, 0x0d, 0, 1, 0, 1});                          // at 24: to 13
  EXPECT_NE(decode_error(after_jump).find("backwards"), std::string::npos);
}

TEST(DnsMessage, FollowsChainsOfBackwardPointers) {
  auto b = header(3, 0);
  append(b, {1, 'a', 0, 0, 1, 0, 1});               // at 12: a
  append(b, {1, 'b', 0xc0, 0x0c, 0, 1, 0, 1});      // at 19: b.a
  append(b, {1, 'c', 0xc0, 0x13, 0, 12, 0x80, 1});  // at 27: c.b.a
  auto m = decode(b);
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ(m->questions.size(), 3u);
  EXPECT_EQ(m->questions[0].name, "a");
  EXPECT_EQ(m->questions[1].name, "b.a");
  EXPECT_EQ(m->questions[2].name, "c.b.a");
  EXPECT_EQ(m->questions[2].type, Type::PTR);
  EXPECT_TRUE(m->questions[2].unicast_response);
}

TEST(DnsMessage, RefusesBadLabelsAndNames) {
  auto long_label = header(1, 0);
  append(long_label, {64});
  append(long_label, std::string(64, 'x'));
  append(long_label, {0, 0, 1, 0, 1});
  EXPECT_NE(decode_error(long_label).find("63"), std::string::npos);

  auto reserved = header(1, 0);  // 0x80: a reserved label type
  append(reserved, {0x80, 1, 'a', 0, 0, 1, 0, 1});
  EXPECT_NE(decode_error(reserved), "decoded");

  auto long_name = header(1, 0);  // 5 labels of 50 bytes: 256 bytes with the final zero
  for (int i = 0; i < 5; ++i) {
    append(long_name, {50});
    append(long_name, std::string(50, 'a' + i));
  }
  append(long_name, {0, 0, 1, 0, 1});
  EXPECT_NE(decode_error(long_name).find("255"), std::string::npos);

  auto longest = header(1, 0);  // 4 of 62 and 1 of 1: 255 bytes, allowed
  for (int i = 0; i < 4; ++i) {
    append(longest, {62});
    append(longest, std::string(62, 'a' + i));
  }
  append(longest, {1, 'z', 0, 0, 1, 0, 1});
  EXPECT_EQ(decode_error(longest), "decoded");

  // A long name reached through pointers is still too long.
  auto via_pointers = header(2, 0);
  for (int i = 0; i < 4; ++i) {
    append(via_pointers, {62});
    append(via_pointers, std::string(62, 'a' + i));
  }
  append(via_pointers, {0, 0, 1, 0, 1});
  append(via_pointers, {2, 'z', 'z', 0xc0, 0x0c, 0, 1, 0, 1});
  EXPECT_NE(decode_error(via_pointers).find("255"), std::string::npos);
}

TEST(DnsMessage, RefusesBadRdlength) {
  auto past_end = header(0, 1);
  append(past_end, {0, 0, 1, 0, 1, 0, 0, 0, 1, 0x00, 0x05, 1, 2, 3, 4});  // A claiming 5 bytes, 4 present
  EXPECT_NE(decode_error(past_end).find("past the end"), std::string::npos);

  auto wrong_a = header(0, 1);
  append(wrong_a, {0, 0, 1, 0, 1, 0, 0, 0, 1, 0x00, 0x05, 1, 2, 3, 4, 5});
  EXPECT_NE(decode_error(wrong_a).find("4 bytes"), std::string::npos);

  auto wrong_aaaa = header(0, 1);
  append(wrong_aaaa, {0, 0, 28, 0, 1, 0, 0, 0, 1, 0x00, 0x04, 1, 2, 3, 4});
  EXPECT_NE(decode_error(wrong_aaaa).find("16 bytes"), std::string::npos);

  auto ptr_longer = header(0, 1);  // PTR whose rdlength is one more than its name
  append(ptr_longer, {0, 0, 12, 0, 1, 0, 0, 0, 1, 0x00, 0x04, 1, 'a', 0, 0});
  EXPECT_NE(decode_error(ptr_longer).find("rdlength"), std::string::npos);

  auto ptr_shorter = header(0, 2);  // PTR whose name runs past its rdlength into the next record
  append(ptr_shorter, {0, 0, 12, 0, 1, 0, 0, 0, 1, 0x00, 0x02, 1, 'a', 0});
  append(ptr_shorter, {0, 0, 1, 0, 1, 0, 0, 0, 1, 0x00, 0x04, 1, 2, 3, 4});
  EXPECT_NE(decode_error(ptr_shorter), "decoded");

  auto srv_short = header(0, 1);
  append(srv_short, {0, 0, 33, 0, 1, 0, 0, 0, 1, 0x00, 0x06, 0, 0, 0, 0, 0x80, 0});
  EXPECT_NE(decode_error(srv_short), "decoded");

  auto txt_over = header(0, 1);  // TXT string of 5 bytes in 4 bytes of rdata
  append(txt_over, {0, 0, 16, 0, 1, 0, 0, 0, 1, 0x00, 0x04, 5, 'a', '=', 'b', 0, 0, 0});
  EXPECT_NE(decode_error(txt_over).find("TXT"), std::string::npos);
}

TEST(DnsMessage, RefusesOtherOpcodesAndRcodes) {
  auto bytes = hand_written_response();
  bytes[2] |= 0x28;  // opcode 5 (UPDATE)
  EXPECT_NE(decode_error(bytes).find("opcode"), std::string::npos);
  bytes = hand_written_response();
  bytes[3] |= 0x03;  // NXDOMAIN
  EXPECT_NE(decode_error(bytes).find("rcode"), std::string::npos);
}

TEST(DnsMessage, EncodeRefusesWhatCannotBeEncoded) {
  auto refuses = [](std::string name) {
    Message m;
    m.questions.push_back({name, Type::PTR});
    auto bytes = encode(m);
    return !bytes.ok() && bytes.error().code == "dns_invalid";
  };
  EXPECT_TRUE(refuses(std::string(64, 'a') + ".local"));
  EXPECT_FALSE(refuses(std::string(63, 'a') + ".local"));
  EXPECT_TRUE(refuses("a..local"));
  EXPECT_TRUE(refuses("local."));
  EXPECT_TRUE(refuses(".local"));
  EXPECT_TRUE(refuses("a\\"));
  std::string name;
  for (int i = 0; i < 5; ++i) name += std::string(i == 0 ? 49 : 50, 'a') + ".";
  EXPECT_FALSE(refuses(name.substr(0, name.size() - 1)));  // 255 bytes on the wire
  EXPECT_TRUE(refuses("b" + name.substr(0, name.size() - 1)));

  Message m;
  Record txt;
  txt.name = "x.local";
  txt.type = Type::TXT;
  txt.txt = {std::string(256, 'a')};
  m.answers.push_back(txt);
  EXPECT_FALSE(encode(m).ok());
  Record srv;
  srv.name = "x.local";
  srv.type = Type::SRV;
  srv.target = "bad..local";
  m.answers = {srv};
  EXPECT_FALSE(encode(m).ok());
}

TEST(DnsMessage, SameNameIgnoresAsciiCase) {
  EXPECT_TRUE(same_name("Node-1._Quorum._TCP.local", "node-1._quorum._tcp.LOCAL"));
  EXPECT_TRUE(same_name("", ""));
  EXPECT_FALSE(same_name("node-1.local", "node-2.local"));
  EXPECT_FALSE(same_name("node.local", "node.local2"));
  EXPECT_FALSE(same_name("\xc3\xa9.local", "\xc3\x89.local"));  // only ASCII folds
}

TEST(DnsMessage, ParseTxtFollowsRfc6763) {
  auto kv = parse_txt({"ID=abc", "v=0.1.0", "flag", "=nokey", "id=second", "e=", "x=a=b"});
  EXPECT_EQ(kv.size(), 5u);
  EXPECT_EQ(kv["id"], "abc");  // keys are lowercased; the first wins
  EXPECT_EQ(kv["v"], "0.1.0");
  EXPECT_EQ(kv.count("flag"), 1u);
  EXPECT_EQ(kv["flag"], "");
  EXPECT_EQ(kv["e"], "");
  EXPECT_EQ(kv["x"], "a=b");
}

// Whatever decodes must encode again and decode to the same message.
void check_stable(const std::vector<uint8_t>& bytes) {
  auto m = decode(bytes);
  if (!m.ok()) return;
  auto again = encode(m.value());
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto back = decode(again.value());
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back.value(), m.value());
}

TEST(DnsMessage, FuzzNeverCrashes) {
  std::mt19937 rng(20240611);
  auto byte = [&] { return static_cast<uint8_t>(rng() & 0xff); };

  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {  // random buffers, with small counts so that some get past the header
    std::vector<uint8_t> b(rng() % 200);
    for (auto& x : b) x = byte();
    if (b.size() >= 12 && i % 2 == 0) {
      b[2] &= 0x87, b[3] &= 0xf0;  // opcode and rcode zero
      for (int k = 4; k < 12; k += 2) b[k] = 0, b[k + 1] &= 3;
    }
    check_stable(b);
    decoded += decode(b).ok();
  }

  std::vector<std::vector<uint8_t>> seeds = {hand_written_response(), encoded(announcement())};
  Message q;
  q.questions.push_back({"_quorum._tcp.local", Type::PTR, true});
  seeds.push_back(encoded(q));
  for (int i = 0; i < 30000; ++i) {  // valid packets with a few bytes changed, cut or inserted
    auto b = seeds[i % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !b.empty(); ++e) {
      size_t at = rng() % b.size();
      switch (rng() % 5) {
        case 0:
          b[at] = byte();
          break;
        case 1:
          b[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 2:
          b.resize(at);
          break;
        case 3:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), byte());
          break;
        case 4:
          b[at] = static_cast<uint8_t>(0xc0 | (rng() % 2)), b[(at + 1) % b.size()] = byte();
          break;
      }
    }
    check_stable(b);
    decoded += decode(b).ok();
  }
  EXPECT_GT(decoded, 1000);  // the loops did reach past the header checks (about 5,000 decode with this seed)
}

}  // namespace
}  // namespace quorum::cluster::dns
