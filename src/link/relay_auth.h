// What nodes sign for the relay, in one place so that the node, the CLI and the relay agree byte for byte.
// Every message starts with its own label, so a signature made for one purpose never passes for another.
// The signatures are Ed25519 (cluster/signing_key.h); this file only builds the messages and parses the
// header that carries a signed control request. Pure.
//
//  - The link: the relay sends a random challenge in HELLO; the node signs link_auth_message() with its own
//    key (enrolled before).
//  - Enrolment: a node proves it belongs to the cluster by signing enrol_message() with the cluster's
//    enrolment key, which every node derives from the cluster secret (cluster/enrol_key.h) and the relay
//    knows only by its public half; and it proves it holds its own key by signing the same message with it.
//  - Control requests (keys, usage) from the CLI carry `Authorization: Quorum-Node <node>.<unix s>.<nonce>.
//    <signature>`, the signature over control_message() by the node's key, base64url.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace quorum::link {

inline constexpr std::string_view kSubprotocol = "quorum-relay.1";
inline constexpr std::string_view kLinkPath = "/v1/relay/connect";
// How far a signed time may be from the relay's clock.
inline constexpr int64_t kMaxClockSkewSeconds = 300;

std::string link_auth_message(std::string_view challenge, std::string_view relay_id,
                              std::string_view node_id);
std::string enrol_message(std::string_view cluster_id, std::string_view node_id,
                          std::string_view node_public_key, int64_t unix_seconds);
std::string control_message(std::string_view method, std::string_view target, int64_t unix_seconds,
                            std::string_view nonce, std::string_view body);

struct ControlAuth {
  std::string node_id;
  int64_t unix_seconds = 0;
  std::string nonce;
  std::string signature;  // raw bytes
};
std::string control_authorization(const ControlAuth& auth);
// nullopt unless `Quorum-Node` and four well-formed fields (ids and nonce of [A-Za-z0-9_-], at most 128
// bytes; a decimal time; a base64url signature).
std::optional<ControlAuth> parse_control_authorization(std::string_view header);

}  // namespace quorum::link
