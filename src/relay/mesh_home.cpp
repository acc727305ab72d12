#include "relay/mesh_home.h"

#include <charconv>

#include "cluster/crypto.h"

namespace quorum::relay {

uint64_t home_weight(std::string_view cluster_id, std::string_view relay_id) {
  std::string input;
  input.reserve(cluster_id.size() + relay_id.size() + 1);
  input.append(cluster_id);
  input.push_back('\0');  // ("ab","c") and ("a","bc") weigh differently
  input.append(relay_id);
  const std::string digest = cluster::sha256_hex(input);
  uint64_t weight = 0;
  std::from_chars(digest.data(), digest.data() + 16, weight, 16);
  return weight;
}

const RelayRecord* home_relay(std::string_view cluster_id, std::span<const RelayRecord> relays) {
  const RelayRecord* best = nullptr;
  uint64_t best_weight = 0;
  for (const auto& r : relays) {
    const uint64_t w = home_weight(cluster_id, r.id);
    if (!best || w > best_weight || (w == best_weight && r.id < best->id)) {
      best = &r;
      best_weight = w;
    }
  }
  return best;
}

std::string mesh_signature(std::string_view secret, std::string_view method, std::string_view target,
                           std::string_view body, int64_t unix_seconds, std::string_view from_relay) {
  std::string message = "quorum-relay-mesh-1\n";
  message.append(method).append("\n");
  message.append(target).append("\n");
  message.append(cluster::sha256_hex(body)).append("\n");
  message.append(std::to_string(unix_seconds)).append("\n");
  message.append(from_relay);
  return cluster::hmac_sha256_hex(secret, message);
}

bool mesh_signature_ok(std::string_view secret, std::string_view method, std::string_view target,
                       std::string_view body, std::string_view time_text, std::string_view from_relay,
                       std::string_view signature, int64_t now) {
  if (secret.empty() || from_relay.empty() || time_text.empty() || time_text.size() > 19) return false;
  int64_t at = 0;
  const auto [end, ec] = std::from_chars(time_text.data(), time_text.data() + time_text.size(), at);
  if (ec != std::errc() || end != time_text.data() + time_text.size()) return false;
  if (at > now + kMeshMaxSkewSeconds || at < now - kMeshMaxSkewSeconds) return false;
  const std::string expected = mesh_signature(secret, method, target, body, at, from_relay);
  return cluster::constant_time_equal(expected, signature);
}

}  // namespace quorum::relay
