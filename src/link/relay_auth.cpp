#include "link/relay_auth.h"

#include <charconv>

#include "cluster/crypto.h"

namespace quorum::link {

namespace {

constexpr std::string_view kScheme = "Quorum-Node ";
constexpr size_t kMaxField = 128;

bool token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool valid_token(std::string_view s) {
  if (s.empty() || s.size() > kMaxField) return false;
  for (char c : s) {
    if (!token_char(c)) return false;
  }
  return true;
}

std::string joined(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) {
    out.append(p);
    out.push_back('\n');
  }
  return out;
}

}  // namespace

std::string link_auth_message(std::string_view challenge, std::string_view relay_id,
                              std::string_view node_id) {
  return joined({"quorum-relay-auth-v1", challenge, relay_id, node_id});
}

std::string enrol_message(std::string_view cluster_id, std::string_view node_id,
                          std::string_view node_public_key, int64_t unix_seconds) {
  const std::string t = std::to_string(unix_seconds);
  const std::string key = cluster::base64url_encode(node_public_key);
  return joined({"quorum-relay-enrol-v1", cluster_id, node_id, key, t});
}

std::string control_message(std::string_view method, std::string_view target, int64_t unix_seconds,
                            std::string_view nonce, std::string_view body) {
  const std::string t = std::to_string(unix_seconds);
  std::string message = joined({"quorum-relay-control-v1", method, target, t, nonce});
  message.append(body);
  return message;
}

std::string control_authorization(const ControlAuth& auth) {
  std::string out(kScheme);
  out += auth.node_id + "." + std::to_string(auth.unix_seconds) + "." + auth.nonce + "." +
         cluster::base64url_encode(auth.signature);
  return out;
}

std::optional<ControlAuth> parse_control_authorization(std::string_view header) {
  if (header.size() > 1024 || header.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  header.remove_prefix(kScheme.size());
  std::string_view fields[4];
  for (int i = 0; i < 4; ++i) {
    const auto dot = header.find('.');
    if ((dot == std::string_view::npos) != (i == 3)) return std::nullopt;
    fields[i] = header.substr(0, dot);
    header.remove_prefix(i == 3 ? header.size() : dot + 1);
  }
  ControlAuth auth;
  if (!valid_token(fields[0]) || !valid_token(fields[2]) || !valid_token(fields[3])) return std::nullopt;
  auto [end, ec] = std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), auth.unix_seconds);
  if (ec != std::errc() || end != fields[1].data() + fields[1].size() || fields[1].empty())
    return std::nullopt;
  auto signature = cluster::base64url_decode(fields[3]);
  if (signature.empty()) return std::nullopt;
  auth.node_id = fields[0];
  auth.nonce = fields[2];
  auth.signature = std::move(signature);
  return auth;
}

}  // namespace quorum::link
