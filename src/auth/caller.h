// Caller: who is asking, as the auth chain established it (authenticator.h). Handlers receive it and decide
// by it, never by where the bytes came from.
#pragma once

#include <string>
#include <utility>

namespace quorum::auth {

struct Caller {
  enum class Kind {
    kLocal,  // a program on this machine (loopback is trusted, as with other local engines)
    kPeer,   // another node of this node's cluster, proven by its peer proof
  };
  Kind kind = Kind::kLocal;
  std::string node_id;  // kPeer: the node whose proof was checked

  static Caller local() { return {}; }
  static Caller peer(std::string node_id) { return {Kind::kPeer, std::move(node_id)}; }
  bool is_peer() const { return kind == Kind::kPeer; }
};

}  // namespace quorum::auth
