#include "link/goaway.h"

#include <boost/json.hpp>

namespace quorum::link {

namespace json = boost::json;

std::string goaway_payload(const Goaway& goaway) {
  json::object o{{"reason", goaway.reason}, {"reconnect_in_ms", goaway.reconnect_in_ms}};
  if (!goaway.url.empty()) o["url"] = goaway.url;
  return json::serialize(o);
}

std::optional<Goaway> parse_goaway(std::string_view payload) {
  boost::system::error_code ec;
  auto v = json::parse(payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  Goaway g;
  if (auto* r = o.if_contains("reason"); r && r->is_string()) g.reason = std::string(r->as_string());
  if (auto* ms = o.if_contains("reconnect_in_ms"); ms && ms->is_int64()) g.reconnect_in_ms = ms->as_int64();
  if (auto* u = o.if_contains("url"); u && u->is_string() && g.reason == "moved") {
    g.url = std::string(u->as_string());
  }
  return g;
}

std::string acceptable_move(std::string_view configured, std::string_view moved) {
  if (moved.empty() || moved.size() > 512) return {};
  for (unsigned char c : moved) {
    if (c <= 0x20 || c >= 0x7f) return {};
  }
  for (std::string_view scheme : {std::string_view("https://"), std::string_view("http://")}) {
    if (configured.starts_with(scheme)) {
      return moved.starts_with(scheme) && moved.size() > scheme.size() ? std::string(moved) : std::string();
    }
  }
  return {};
}

}  // namespace quorum::link
