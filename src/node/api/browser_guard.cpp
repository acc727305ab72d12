#include "node/api/browser_guard.h"

#include <algorithm>
#include <cctype>

namespace quorum::node::api {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A header value fit to quote in an error message: printable ASCII only, at most 100 characters.
std::string quoted(std::string_view value) {
  constexpr size_t kMax = 100;
  std::string out = "'";
  for (size_t i = 0; i < value.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  }
  if (value.size() > kMax) out += "...";
  return out + "'";
}

bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

bool origin_allowed(std::string_view origin) {
  if (origin.empty()) return true;
  for (std::string_view local : {"http://localhost", "https://localhost", "http://127.0.0.1",
                                 "https://127.0.0.1", "http://[::1]", "https://[::1]"}) {
    if (origin.substr(0, local.size()) == local &&
        (origin.size() == local.size() || origin[local.size()] == ':' || origin[local.size()] == '/')) {
      return true;
    }
  }
  return false;  // another site, or "null" (an opaque origin)
}

std::vector<std::string> own_host_names(std::string_view host_name, std::string_view mdns_name,
                                        const std::vector<std::string>& addresses) {
  std::vector<std::string> names{"localhost", "127.0.0.1", "[::1]"};
  auto add = [&names](std::string name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(std::move(name));
    }
  };
  if (!host_name.empty()) {
    add(lower(host_name));
    add(lower(host_name) + ".local");
  }
  add(lower(mdns_name));
  for (const auto& address : addresses) {
    const bool bare_ipv6 = address.find(':') != std::string::npos && address.front() != '[';
    add(bare_ipv6 ? "[" + lower(address) + "]" : lower(address));
  }
  return names;
}

bool host_allowed(std::string_view host_header, const std::vector<std::string>& own_names,
                  unsigned short port) {
  std::string_view host = trim(host_header);
  if (host.empty()) return true;  // no Host: not a browser
  std::string_view name = host;
  std::string_view port_text;
  if (host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    name = host.substr(0, close + 1);
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port_text = rest.substr(1);
    }
  } else if (const size_t colon = host.find(':'); colon != std::string_view::npos) {
    name = host.substr(0, colon);
    port_text = host.substr(colon + 1);  // a second ':' (a bare IPv6 address) fails the digit test below
  }
  if (!port_text.empty() &&
      (!all_digits(port_text) || port_text.size() > 5 || std::stoul(std::string(port_text)) != port)) {
    return false;
  }
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  const std::string wanted = lower(name);
  return !wanted.empty() && std::find(own_names.begin(), own_names.end(), wanted) != own_names.end();
}

bool content_type_is_json(std::string_view content_type) {
  std::string_view media = trim(content_type.substr(0, content_type.find(';')));
  return lower(media) == "application/json";
}

ApiError forbidden_origin(std::string_view origin) {
  std::string message =
      origin == "null"
          ? "Requests from web pages with an opaque origin (Origin: null: sandboxed frames, data: and file: "
            "pages) are not allowed."
          : "Requests from web pages of other origins are not allowed (Origin: " + quoted(origin) + ").";
  return ApiError{403, "invalid_request_error", std::move(message), std::nullopt,
                  std::string("forbidden_origin")};
}

ApiError misdirected_host(std::string_view host) {
  return ApiError{421, "invalid_request_error",
                  "This node does not answer to the host name " + quoted(host) +
                      "; call it as localhost, 127.0.0.1, [::1] or by one of its own names or addresses, "
                      "at its own port.",
                  std::nullopt, std::string("misdirected_host")};
}

ApiError unsupported_media_type(std::string_view content_type) {
  std::string had = trim(content_type).empty() ? std::string("had no Content-Type")
                                               : "had Content-Type " + quoted(trim(content_type));
  return ApiError{415, "invalid_request_error",
                  "The request body must be JSON sent with the header 'Content-Type: application/json' "
                  "(with curl: -H 'Content-Type: application/json'); this request " +
                      had + ".",
                  std::nullopt, std::string("unsupported_media_type")};
}

}  // namespace quorum::node::api
