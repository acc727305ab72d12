#include "node/listeners.h"

#include <boost/asio/ip/address.hpp>

namespace quorum::node {

namespace ip = boost::asio::ip;

namespace {

bool is_loopback(const std::string& host) {
  boost::system::error_code ec;
  auto address = ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

std::string dotted(const Ipv4& bytes) {
  return ip::address_v4(bytes).to_string();
}

}  // namespace

Result<std::vector<Ipv4>> parse_advertise(const std::vector<std::string>& values) {
  std::vector<Ipv4> addresses;
  addresses.reserve(values.size());
  for (const auto& text : values) {
    boost::system::error_code ec;
    auto address = ip::make_address_v4(text, ec);
    if (ec) {
      return ApiError::invalid_request("--advertise " + text +
                                       ": not an IPv4 address (IPv6 is not supported yet)");
    }
    addresses.push_back(address.to_bytes());
  }
  return addresses;
}

Result<ListenPlan> plan_listeners(const ListenInputs& in) {
  ListenPlan plan;
  const bool loopback = is_loopback(in.host);
  const bool wildcard = in.in_cluster && loopback && in.advertise.empty();
  const bool reuse_port = in.threads > 1 || wildcard;
  if (in.in_cluster) {
    if (in.advertise.empty()) {
      plan.lan = in.found;
    } else {
      auto advertised = parse_advertise(in.advertise);
      if (!advertised) return advertised.take_error();
      plan.lan = std::move(advertised.value());
    }
  }
  if (reuse_port && in.port != 0) plan.probe_host = wildcard ? "0.0.0.0" : in.host;
  plan.listeners.push_back({in.host, reuse_port, /*for_peers=*/false});
  if (wildcard) {
    plan.listeners.push_back({"0.0.0.0", reuse_port, /*for_peers=*/true});
  } else if (loopback) {
    for (const auto& bytes : plan.lan) {
      std::string host = dotted(bytes);
      if (host != in.host) plan.listeners.push_back({std::move(host), reuse_port, /*for_peers=*/true});
    }
  }
  plan.follow_addresses = wildcard;
  plan.reach_address = loopback && !plan.lan.empty() ? dotted(plan.lan.front()) : in.host;
  return plan;
}

}  // namespace quorum::node
