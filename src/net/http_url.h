// The parts of an http:// or https:// URL that a request needs (http_client.h), parsed once per URL and
// thread: an engine's URL is the same for every request, and parsing it was a tenth of a request's setup.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace quorum::net {

struct HttpUrl {
  bool https = false;
  std::string host;         // without the brackets of an IPv6 literal
  unsigned short port = 0;  // the scheme's default when the URL names none (or port 0)
  std::string target;       // path (at least "/") and query, as encoded in the URL
  std::string host_header;  // the Host header: host and port as the URL spells them
};

// The URL's parts, or null when it is not an absolute http:// or https:// URL with a host. Pure.
std::shared_ptr<const HttpUrl> parse_http_url(std::string_view url);

// parse_http_url() through a small cache of the calling thread's last few URLs (the answer is shared and
// never changes, so it may be kept across a suspension).
std::shared_ptr<const HttpUrl> cached_http_url(std::string_view url);

}  // namespace quorum::net
