#include "cluster/mdns_service.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>

#include "core/log.h"

namespace quorum::cluster {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

const asio::ip::address_v4 kGroup = asio::ip::make_address_v4("224.0.0.251");
constexpr uint16_t kPort = 5353;

// Lower is preferred.
int preference(const std::array<uint8_t, 4>& a, const std::string& interface) {
  for (const char* prefix : {"docker", "br-", "veth", "virbr", "cni", "flannel"}) {
    if (interface.rfind(prefix, 0) == 0) return 4;
  }
  if (interface.rfind("tailscale", 0) == 0 || interface.rfind("zt", 0) == 0 ||
      interface.rfind("wg", 0) == 0 || interface.rfind("tun", 0) == 0) {
    return 3;
  }
  if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xF0) == 16) || (a[0] == 192 && a[1] == 168)) return 0;
  if (a[0] == 100 && (a[1] & 0xC0) == 64) return 3;  // CGNAT: Tailscale and other overlays
  if (a[0] == 169 && a[1] == 254) return 4;          // link-local
  return 1;
}

}  // namespace

std::vector<std::array<uint8_t, 4>> advertised_addresses() {
  struct Candidate {
    int rank;
    std::array<uint8_t, 4> address;
  };
  std::vector<Candidate> found;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
        !(i->ifa_flags & IFF_UP)) {
      continue;
    }
    std::array<uint8_t, 4> a{};
    std::memcpy(a.data(), &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
    if (a[0] == 127) continue;
    found.push_back({preference(a, i->ifa_name), a});
  }
  ::freeifaddrs(list);
  std::stable_sort(found.begin(), found.end(),
                   [](const Candidate& x, const Candidate& y) { return x.rank < y.rank; });
  std::vector<std::array<uint8_t, 4>> out;
  for (const auto& c : found) {
    if (std::find(out.begin(), out.end(), c.address) == out.end()) out.push_back(c.address);
  }
  return out;
}

MdnsService::MdnsService(const asio::any_io_executor& executor, ServiceAnnouncement self,
                         DiscoveryHooks hooks, bool follow_addresses)
    : executor_(executor),
      self_(std::move(self)),
      socket_(executor),
      timer_(executor),
      follow_timer_(executor),
      follow_addresses_(follow_addresses),
      hooks_(std::move(hooks)) {}

MdnsService::~MdnsService() {
  stop();
}

Status MdnsService::start() {
  boost::system::error_code ec;
  socket_.open(udp::v4(), ec);
  if (!ec) socket_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    int one = 1;
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    socket_.bind(udp::endpoint(asio::ip::address_v4::any(), kPort), ec);
  }
  if (ec) return ApiError::server(500, "mDNS: cannot use UDP port 5353: " + ec.message());
  socket_.set_option(asio::ip::multicast::hops(255), ec);
  socket_.set_option(asio::ip::multicast::enable_loopback(true), ec);
  join(self_.addresses);
  if (interfaces_.empty())
    log::warn("mDNS: no network interface to announce on; peers must be given with --peer");
  asio::co_spawn(executor_, receive_loop(), asio::detached);
  asio::co_spawn(executor_, announce_loop(), asio::detached);
  if (follow_addresses_) asio::co_spawn(executor_, follow_loop(), asio::detached);
  return Ok{};
}

void MdnsService::join(const std::vector<std::array<uint8_t, 4>>& addresses) {
  // Leave the interfaces that are gone (their address may have moved to another machine).
  for (const auto& address : interfaces_) {
    if (std::find(addresses.begin(), addresses.end(), address.to_bytes()) != addresses.end()) continue;
    boost::system::error_code ec;
    socket_.set_option(asio::ip::multicast::leave_group(kGroup, address), ec);
  }
  std::vector<asio::ip::address_v4> joined;
  for (const auto& a : addresses) {
    auto address = asio::ip::address_v4(a);
    if (std::find(interfaces_.begin(), interfaces_.end(), address) == interfaces_.end()) {
      boost::system::error_code ec;
      socket_.set_option(asio::ip::multicast::join_group(kGroup, address), ec);
      if (ec) {
        log::warn("mDNS: cannot join the multicast group on " + address.to_string() + ": " + ec.message());
        continue;
      }
    }
    joined.push_back(address);
  }
  interfaces_ = std::move(joined);
  // Announce only the addresses whose interface joined the group.
  self_.addresses.clear();
  std::vector<std::string> names;
  for (const auto& a : interfaces_) {
    self_.addresses.push_back(a.to_bytes());
    names.push_back(a.to_string());
  }
  {
    std::lock_guard lock(status_mutex_);
    status_.interfaces = names;
  }
  if (hooks_.on_addresses) hooks_.on_addresses(names);
}

net::Task<void> MdnsService::follow_loop() {
  for (;;) {
    follow_timer_.expires_after(std::chrono::seconds(3));
    boost::system::error_code ec;
    co_await follow_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    auto now = advertised_addresses();
    if (now == self_.addresses) continue;
    auto listed = [this] {
      std::string out;
      for (const auto& a : interfaces_) out.append(out.empty() ? "" : ", ").append(a.to_string());
      return out;
    };
    std::string message = "mDNS: this node's addresses changed from [" + listed();
    join(now);
    message.append("] to [").append(listed()).append("]; announcing them");
    log::info(message);
    send(announcement(self_));
    send(browse_query());
  }
}

void MdnsService::stop() {
  if (stopped_ || !socket_.is_open()) return;
  stopped_ = true;
  ServiceAnnouncement goodbye = self_;
  goodbye.ttl = 0;
  send(announcement(goodbye));
  timer_.cancel();
  follow_timer_.cancel();
  boost::system::error_code ec;
  socket_.close(ec);
}

DiscoveryStatus MdnsService::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

void MdnsService::send(const dns::Message& m) {
  auto bytes = dns::encode(m);
  if (!bytes) return;
  for (const auto& address : interfaces_) {
    boost::system::error_code ec;
    socket_.set_option(asio::ip::multicast::outbound_interface(address), ec);
    socket_.send_to(asio::buffer(*bytes), udp::endpoint(kGroup, kPort), 0, ec);
    if (ec) log::debug("mDNS: send on " + address.to_string() + " failed: " + ec.message());
  }
}

net::Task<void> MdnsService::announce_loop() {
  using std::chrono::seconds;
  // Three announcements and queries at start, then a slow rhythm.
  const seconds schedule[] = {seconds(0), seconds(1), seconds(2)};
  for (auto delay : schedule) {
    timer_.expires_after(delay);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    send(announcement(self_));
    send(browse_query());
  }
  for (int tick = 1;; ++tick) {
    timer_.expires_after(seconds(30));
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    send(browse_query());
    if (tick % 2 == 0) send(announcement(self_));
  }
}

net::Task<void> MdnsService::receive_loop() {
  std::array<uint8_t, 9000> buffer{};
  for (;;) {
    udp::endpoint from;
    boost::system::error_code ec;
    size_t n = co_await socket_.async_receive_from(asio::buffer(buffer), from,
                                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || stopped_) co_return;
    if (ec) continue;
    on_packet(buffer.data(), n, from);
  }
}

void MdnsService::on_packet(const uint8_t* data, size_t size, const udp::endpoint& from) {
  auto message = dns::decode(std::span<const uint8_t>(data, size));
  if (!message) return;  // not ours to judge: the LAN carries all sorts
  if (asks_for_quorum(*message)) {
    send(announcement(self_));
    return;
  }
  std::optional<std::array<uint8_t, 4>> sender;
  if (from.address().is_v4()) sender = from.address().to_v4().to_bytes();
  for (auto& a : read_announcements(*message, sender)) {
    if (a.node_id == self_.node_id) continue;
    if (a.fingerprint != self_.fingerprint) {
      if (ignored_.insert(a.node_id).second) {
        log::info("mDNS: ignoring node '" + a.name + "' (" + a.node_id + "): another cluster");
        std::lock_guard lock(status_mutex_);
        ++status_.other_clusters;
      }
      continue;
    }
    if (a.ttl == 0) {
      known_.erase(a.node_id);
      if (hooks_.on_goodbye) hooks_.on_goodbye(a.node_id, a.name, from.address().to_string());
      continue;
    }
    std::string address =
        a.addresses.empty() ? std::string() : asio::ip::address_v4(a.addresses.front()).to_string();
    if (known_.insert(a.node_id).second) {
      log::info("mDNS: found node '" + a.name + "' (" + a.node_id + ") at " + address);
      heard_.insert(a.node_id);
      std::lock_guard lock(status_mutex_);
      status_.nodes_heard = heard_.size();
    }
    if (hooks_.on_found) hooks_.on_found(a, address);
  }
}

}  // namespace quorum::cluster
