#include "cluster/mdns_service.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <span>

#include "core/log.h"

namespace quorum::cluster {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

const asio::ip::address_v4 kGroup = asio::ip::make_address_v4("224.0.0.251");
constexpr uint16_t kPort = 5353;

using std::chrono::minutes;
using std::chrono::seconds;

// The tables of ids heard: how many each keeps, and for how long after it was last heard.
constexpr size_t kKnownIds = 256;
constexpr size_t kHeardIds = 1024;
constexpr size_t kIgnoredIds = 256;
constexpr auto kKnownAge = minutes(10);  // nodes re-announce every 60 s
constexpr auto kHeardAge = minutes(60);
constexpr auto kIgnoredAge = minutes(10);
// Log lines about nodes heard: a burst of 20, then one every 5 s.
constexpr double kLogBurst = 20;
constexpr double kLogPerSecond = 0.2;
// Datagrams read in a row before letting the executor run other work.
constexpr int kDatagramsPerWake = 64;

// One datagram read from the socket.
struct Datagram {
  size_t size = 0;
  udp::endpoint from;
  unsigned ifindex = 0;  // the interface it arrived on (IP_PKTINFO); 0 when unknown
};

enum class ReadResult { kRead, kSkipped, kNone };

// Reads one datagram waiting on `fd` (non-blocking) into `buffer`, with the interface it arrived on.
// kSkipped: one was there but cannot be used (larger than the buffer, or a pending socket error); kNone: none
// waits.
ReadResult read_datagram(int fd, std::span<uint8_t> buffer, Datagram& out) {
  sockaddr_in from{};
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in_pktinfo))];
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
  if (n < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EBADF ? ReadResult::kNone
                                                                     : ReadResult::kSkipped;
  if ((msg.msg_flags & MSG_TRUNC) || from.sin_family != AF_INET) return ReadResult::kSkipped;
  out.size = static_cast<size_t>(n);
  out.from = udp::endpoint(asio::ip::address_v4(ntohl(from.sin_addr.s_addr)), ntohs(from.sin_port));
  out.ifindex = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      out.ifindex = static_cast<unsigned>(info.ipi_ifindex);
    }
  }
  return ReadResult::kRead;
}

Ipv4 bytes_of(const sockaddr* a) {
  Ipv4 out{};
  std::memcpy(out.data(), &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, 4);
  return out;
}

// This host's IPv4 addresses with their interface, netmask and (point-to-point links) the other end.
std::vector<InterfaceAddress> interface_addresses() {
  std::vector<InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP)) continue;
    std::string name = i->ifa_name;
    name = name.substr(0, name.find(':'));  // an alias label ("eth0:1") is on its interface
    InterfaceAddress a;
    a.ifindex = ::if_nametoindex(name.c_str());
    if (a.ifindex == 0) continue;
    a.address = bytes_of(i->ifa_addr);
    a.netmask = i->ifa_netmask && i->ifa_netmask->sa_family == AF_INET ? bytes_of(i->ifa_netmask)
                                                                       : Ipv4{255, 255, 255, 255};
    if ((i->ifa_flags & IFF_POINTOPOINT) && i->ifa_dstaddr && i->ifa_dstaddr->sa_family == AF_INET) {
      a.peer = bytes_of(i->ifa_dstaddr);
    }
    out.push_back(a);
  }
  ::freeifaddrs(list);
  return out;
}

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
      tick_timer_(executor),
      answer_timer_(executor),
      follow_addresses_(follow_addresses),
      hooks_(std::move(hooks)),
      known_(kKnownIds, kKnownAge),
      ignored_(kIgnoredIds, kIgnoredAge),
      heard_(kHeardIds, kHeardAge),
      found_log_(kLogPerSecond, kLogBurst),
      ignored_log_(kLogPerSecond, kLogBurst),
      off_link_log_(kLogPerSecond, kLogBurst) {}

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
    // Which interface each datagram arrives on: queries are answered there, and senders must be on its link.
    if (::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0) {
      ec = boost::system::error_code(errno, boost::system::system_category());
    }
  }
  if (!ec) socket_.bind(udp::endpoint(asio::ip::address_v4::any(), kPort), ec);
  if (ec) return ApiError::server(500, "mDNS: cannot use UDP port 5353: " + ec.message());
  socket_.set_option(asio::ip::multicast::hops(255), ec);
  socket_.set_option(asio::ip::multicast::enable_loopback(true), ec);
  refresh_links(true);
  join(self_.addresses);
  if (interfaces_.empty())
    log::warn("mDNS: no network interface to announce on; peers must be given with --peer");
  asio::co_spawn(executor_, receive_loop(), asio::detached);
  asio::co_spawn(executor_, announce_loop(), asio::detached);
  asio::co_spawn(executor_, tick_loop(), asio::detached);
  asio::co_spawn(executor_, answer_loop(), asio::detached);
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

void MdnsService::refresh_links(bool force) {
  const auto now = RateClock::now();
  if (!force && links_read_ && now - *links_read_ < seconds(1)) return;
  links_read_ = now;
  links_ = interface_addresses();
}

net::Task<void> MdnsService::tick_loop() {
  for (;;) {
    tick_timer_.expires_after(seconds(3));
    boost::system::error_code ec;
    co_await tick_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    const auto now = RateClock::now();
    refresh_links(true);
    std::vector<unsigned> links;
    for (const auto& a : links_) links.push_back(a.ifindex);
    pacer_.keep_only(links);
    known_.forget_older(now);
    heard_.forget_older(now);
    ignored_.forget_older(now);
    update_counts();
    if (auto n = found_log_.summary(now)) {
      log::info("mDNS: " + std::to_string(n) +
                " more nodes of this cluster heard and not logged (rate limit)");
    }
    if (auto n = ignored_log_.summary(now)) {
      log::info("mDNS: " + std::to_string(n) +
                " more nodes of other clusters ignored and not logged (rate limit)");
    }
    if (auto n = off_link_log_.summary(now)) {
      log::info("mDNS: " + std::to_string(n) + " more packets from senders not on their link ignored");
    }
    if (!follow_addresses_) continue;
    auto current = advertised_addresses();
    if (current == self_.addresses) continue;
    auto listed = [this] {
      std::string out;
      for (const auto& a : interfaces_) out.append(out.empty() ? "" : ", ").append(a.to_string());
      return out;
    };
    std::string message = "mDNS: this node's addresses changed from [" + listed();
    join(current);
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
  tick_timer_.cancel();
  answer_timer_.cancel();
  boost::system::error_code ec;
  socket_.close(ec);
}

DiscoveryStatus MdnsService::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

void MdnsService::update_counts() {
  std::lock_guard lock(status_mutex_);
  status_.nodes_heard = heard_.size();
  status_.other_clusters = ignored_.size();
}

void MdnsService::send(const dns::Message& m, std::optional<unsigned> link) {
  auto bytes = dns::encode(m);
  if (!bytes) return;
  const bool ours = m.response;  // our records go out: the pacer counts them
  const auto now = RateClock::now();
  std::vector<unsigned> done;
  for (const auto& address : interfaces_) {
    const unsigned on = interface_of(links_, address.to_bytes());
    if (link && *link != 0 && on != *link) continue;
    // One packet per link, even when the interface has several of our addresses.
    if (on != 0 && std::find(done.begin(), done.end(), on) != done.end()) continue;
    done.push_back(on);
    boost::system::error_code ec;
    socket_.set_option(asio::ip::multicast::outbound_interface(address), ec);
    socket_.send_to(asio::buffer(*bytes), udp::endpoint(kGroup, kPort), 0, ec);
    if (ec) log::debug("mDNS: send on " + address.to_string() + " failed: " + ec.message());
    if (ours) pacer_.sent(on, now);
  }
}

net::Task<void> MdnsService::announce_loop() {
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

net::Task<void> MdnsService::answer_loop() {
  for (;;) {
    const auto next = pacer_.next_due();
    answer_due_ = next.value_or(RateClock::time_point::max());
    answer_timer_.expires_at(answer_due_);
    boost::system::error_code ec;
    co_await answer_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    for (unsigned link : pacer_.take_due(RateClock::now())) send(announcement(self_), link);
  }
}

void MdnsService::answer_query(unsigned link) {
  if (pacer_.on_query(link, RateClock::now())) {
    send(announcement(self_), link);
    return;
  }
  // Deferred: wake the answer loop when this answer is due sooner than what it waits for.
  if (auto next = pacer_.next_due(); next && *next < answer_due_) {
    answer_due_ = *next;
    answer_timer_.cancel();
  }
}

net::Task<void> MdnsService::receive_loop() {
  std::array<uint8_t, 9000> buffer{};
  for (;;) {
    boost::system::error_code ec;
    co_await socket_.async_wait(udp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || stopped_) co_return;
    if (ec) continue;
    // Read until none waits (the reactor is edge-triggered: it would not wake again for what is left), in
    // batches, letting the executor run its other work between them.
    for (bool more = true; more;) {
      more = false;
      for (int i = 0; i < kDatagramsPerWake && !stopped_; ++i) {
        Datagram d;
        const auto read = read_datagram(socket_.native_handle(), buffer, d);
        if (read == ReadResult::kNone) break;
        if (read == ReadResult::kRead) on_packet(buffer.data(), d.size, d.from, d.ifindex);
        more = i + 1 == kDatagramsPerWake;
      }
      if (stopped_) co_return;
      if (more) co_await asio::post(executor_, asio::use_awaitable);
    }
  }
}

void MdnsService::on_packet(const uint8_t* data, size_t size, const udp::endpoint& from, unsigned link) {
  if (!from.address().is_v4()) return;
  const Ipv4 sender = from.address().to_v4().to_bytes();
  if (!on_link(links_, link, sender)) {
    refresh_links(false);  // an address may have just been added to that interface
    if (!on_link(links_, link, sender)) {
      if (auto held = off_link_log_.admit(RateClock::now())) {
        log::info(with_held_back("mDNS: ignoring a packet from " + from.address().to_string() +
                                     ", which is not on the link it arrived on",
                                 *held));
      }
      return;
    }
  }
  auto message = dns::decode(std::span<const uint8_t>(data, size));
  if (!message) return;  // not ours to judge: the LAN carries all sorts
  if (asks_for_quorum(*message)) {
    answer_query(link);
    return;
  }
  const std::string source = from.address().to_string();
  for (auto& a : read_announcements(*message, sender)) {
    if (a.node_id != self_.node_id) heard(a, source);
  }
}

void MdnsService::heard(const ServiceAnnouncement& a, const std::string& from) {
  const auto now = RateClock::now();
  const std::string who = "'" + log::printable(a.name) + "' (" + log::printable(a.node_id) + ")";
  if (a.fingerprint != self_.fingerprint) {
    if (ignored_.touch(a.node_id, now)) {
      if (auto held = ignored_log_.admit(now)) {
        log::info(with_held_back("mDNS: ignoring node " + who + ": another cluster", *held));
      }
      update_counts();
    }
    return;
  }
  if (a.ttl == 0) {
    known_.erase(a.node_id);
    if (hooks_.on_goodbye) hooks_.on_goodbye(a.node_id, a.name, from);
    return;
  }
  std::string address =
      a.addresses.empty() ? std::string() : asio::ip::address_v4(a.addresses.front()).to_string();
  if (heard_.touch(a.node_id, now)) update_counts();
  if (known_.touch(a.node_id, now)) {
    if (auto held = found_log_.admit(now)) {
      log::info(with_held_back("mDNS: found node " + who + " at " + address, *held));
    }
  }
  if (hooks_.on_found) hooks_.on_found(a, address);
}

}  // namespace quorum::cluster
