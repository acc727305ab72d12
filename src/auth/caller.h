// Caller: who is asking, as the auth chain established it (authenticator.h). Handlers receive it and decide
// by it, never by where the bytes came from.
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace quorum::auth {

struct Caller {
  enum class Kind {
    kLocal,        // a program on this machine (loopback is trusted, as with other local engines)
    kPeer,         // another node of this node's cluster, proven by its peer proof
    kRelayClient,  // a client of the relay, whose API key the relay checked (a request on a relay stream)
    kKeyHolder,    // a client on the LAN with one of the cluster's API keys (checked against the KeyBook)
  };
  Kind kind = Kind::kLocal;
  std::string node_id;           // kPeer: the node whose proof was checked
  std::string key_id;            // kRelayClient: the API key's id
  std::string relay_request_id;  // kRelayClient: the relay's id of the request (its usage is reported by it)
  std::vector<std::string> models;  // kKeyHolder: the only models it may use; empty: every one

  static Caller local() { return {}; }
  static Caller peer(std::string node_id) { return {Kind::kPeer, std::move(node_id), {}, {}, {}}; }
  static Caller relay_client(std::string key_id, std::string request_id) {
    return {Kind::kRelayClient, {}, std::move(key_id), std::move(request_id), {}};
  }
  static Caller key_holder(std::string key_id, std::vector<std::string> models) {
    return {Kind::kKeyHolder, {}, std::move(key_id), {}, std::move(models)};
  }
  bool allows(const std::string& model) const {
    return models.empty() || std::find(models.begin(), models.end(), model) != models.end();
  }
  bool is_peer() const { return kind == Kind::kPeer; }
};

}  // namespace quorum::auth
