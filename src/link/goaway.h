// GOAWAY's payload (frame.h): the relay tells a node to end this link and connect again in about
// `reconnect_in_ms`. With reason "moved" and a `url`, to that relay instead: several relays share one
// database and this node's cluster is homed at another one (docs/relay.md, "Several relays"). The node
// dials that URL once; when it fails, or when that link later ends without a new "moved", the node goes
// back to the relay URL it was configured with (relay.json).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace quorum::link {

struct Goaway {
  std::string reason;
  int64_t reconnect_in_ms = 0;
  std::string url;  // set with reason "moved" only
};

std::string goaway_payload(const Goaway& goaway);
// nullopt when the payload is not a JSON object; fields missing or of the wrong type are left empty (0).
std::optional<Goaway> parse_goaway(std::string_view payload);

// The URL a node configured with relay URL `configured` may follow a "moved" to: an http:// or https://
// URL of the same scheme (a relay behind TLS never sends its nodes to a plain one), at most 512 bytes,
// printable ASCII without spaces. "" when `moved` is not one.
std::string acceptable_move(std::string_view configured, std::string_view moved);

}  // namespace quorum::link
