#include "net/http_url.h"

#include <array>
#include <boost/url/parse.hpp>

namespace quorum::net {

std::shared_ptr<const HttpUrl> parse_http_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return nullptr;
  const bool https = parsed->scheme() == "https";
  if ((!https && parsed->scheme() != "http") || parsed->host().empty()) return nullptr;
  auto out = std::make_shared<HttpUrl>();
  out->https = https;
  out->host = std::string(parsed->encoded_host());
  if (out->host.size() > 2 && out->host.front() == '[') out->host = out->host.substr(1, out->host.size() - 2);
  out->port = parsed->has_port() && parsed->port_number() != 0 ? parsed->port_number() : (https ? 443 : 80);
  out->target = std::string(parsed->encoded_path());
  if (out->target.empty()) out->target = "/";
  if (parsed->has_query()) out->target += "?" + std::string(parsed->encoded_query());
  out->host_header = std::string(parsed->encoded_host_and_port());
  return out;
}

std::shared_ptr<const HttpUrl> cached_http_url(std::string_view url) {
  struct Entry {
    std::string url;
    std::shared_ptr<const HttpUrl> parsed;
  };
  // A node calls a handful of URLs (its engines, its peers): a few entries, the oldest replaced.
  static thread_local std::array<Entry, 8> cache;
  static thread_local size_t next = 0;
  for (const Entry& e : cache) {
    if (e.parsed && e.url == url) return e.parsed;
  }
  auto parsed = parse_http_url(url);
  if (!parsed) return nullptr;  // not kept: a bad URL is an error each time, and rare
  Entry& slot = cache[next];
  next = (next + 1) % cache.size();
  slot.url.assign(url);
  slot.parsed = parsed;
  return parsed;
}

}  // namespace quorum::net
