#include "cluster/mdns_links.h"

namespace quorum::cluster {

namespace {

bool same_subnet(const Ipv4& a, const Ipv4& b, const Ipv4& mask) {
  for (size_t i = 0; i < 4; ++i) {
    if ((a[i] & mask[i]) != (b[i] & mask[i])) return false;
  }
  return true;
}

}  // namespace

bool on_link(const std::vector<InterfaceAddress>& table, unsigned ifindex, const Ipv4& source) {
  if (source[0] == 169 && source[1] == 254) return true;
  for (const auto& a : table) {
    if (ifindex != 0 && a.ifindex != ifindex) continue;
    if (same_subnet(a.address, source, a.netmask) || (a.peer && *a.peer == source)) return true;
  }
  return false;
}

unsigned interface_of(const std::vector<InterfaceAddress>& table, const Ipv4& address) {
  for (const auto& a : table) {
    if (a.address == address) return a.ifindex;
  }
  return 0;
}

}  // namespace quorum::cluster
