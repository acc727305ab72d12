#include "cluster/mdns_records.h"

#include <map>

#include "cluster/node_status.h"

namespace quorum::cluster {

namespace {

constexpr uint32_t kHostTtl = 120;
constexpr uint32_t kPtrTtl = 4500;

std::string instance_name(const std::string& node_id) {
  return node_id + "." + std::string(kQuorumService);
}

dns::Record record(std::string name, dns::Type type, uint32_t ttl, bool cache_flush) {
  dns::Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = ttl;
  r.cache_flush = cache_flush;
  return r;
}

}  // namespace

dns::Message announcement(const ServiceAnnouncement& a) {
  dns::Message m;
  m.response = true;
  m.authoritative = true;
  const std::string instance = instance_name(a.node_id);
  const std::string host = a.node_id + ".local";
  const uint32_t ttl = a.ttl == 0 ? 0 : kHostTtl;

  m.answers.push_back(record(std::string(kQuorumService), dns::Type::PTR, a.ttl == 0 ? 0 : kPtrTtl, false));
  m.answers.back().target = instance;
  m.answers.push_back(record(instance, dns::Type::SRV, ttl, true));
  m.answers.back().port = a.port;
  m.answers.back().target = host;
  m.answers.push_back(record(instance, dns::Type::TXT, ttl, true));
  m.answers.back().txt = {"id=" + a.node_id, "v=" + a.version, "c=" + a.fingerprint,
                          "n=" + a.name.substr(0, 200)};
  for (const auto& address : a.addresses) {
    m.additionals.push_back(record(host, dns::Type::A, ttl, true));
    m.additionals.back().ipv4 = address;
  }
  return m;
}

dns::Message browse_query(bool unicast_response) {
  dns::Message m;
  m.questions.push_back(dns::Question{std::string(kQuorumService), dns::Type::PTR, unicast_response});
  return m;
}

bool asks_for_quorum(const dns::Message& m) {
  if (m.response) return false;
  for (const auto& q : m.questions) {
    if ((q.type == dns::Type::PTR || q.type == dns::Type::ANY) && dns::same_name(q.name, kQuorumService))
      return true;
  }
  return false;
}

std::vector<ServiceAnnouncement> read_announcements(const dns::Message& m,
                                                    std::optional<std::array<uint8_t, 4>> sender) {
  if (!m.response) return {};
  std::vector<const dns::Record*> all;
  for (const auto* section : {&m.answers, &m.authorities, &m.additionals}) {
    for (const auto& r : *section) all.push_back(&r);
  }
  std::vector<ServiceAnnouncement> out;
  size_t read = 0;
  for (const auto* ptr : all) {
    if (ptr->type != dns::Type::PTR || !dns::same_name(ptr->name, kQuorumService)) continue;
    if (++read > kMaxAnnouncementsPerPacket) break;
    ServiceAnnouncement a;
    a.ttl = ptr->ttl;
    const dns::Record* srv = nullptr;
    const dns::Record* txt = nullptr;
    for (const auto* r : all) {
      if (!dns::same_name(r->name, ptr->target)) continue;
      if (r->type == dns::Type::SRV) srv = r;
      if (r->type == dns::Type::TXT) txt = r;
    }
    if (!srv || !txt) continue;
    auto kv = dns::parse_txt(txt->txt);
    a.node_id = kv["id"];
    if (a.node_id.empty() || !valid_status_text(a.node_id)) continue;
    a.version = valid_status_text(kv["v"]) ? kv["v"] : std::string();
    a.fingerprint = kv["c"];
    a.name = kv["n"].empty() || !valid_status_text(kv["n"]) ? a.node_id : kv["n"];
    a.port = srv->port;
    if (srv->ttl == 0 || txt->ttl == 0) a.ttl = 0;
    for (const auto* r : all) {
      if (r->type == dns::Type::A && dns::same_name(r->name, srv->target)) a.addresses.push_back(r->ipv4);
    }
    if (a.addresses.empty() && sender) a.addresses.push_back(*sender);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace quorum::cluster
