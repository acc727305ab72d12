// Who this node is and which cluster it belongs to, kept in the state directory.
//
//  - node.json: {"id": 32 hex, "name": hostname by default}; created on first use, never changed after.
//  - cluster.json (mode 0600): {"cluster_id": 16 hex, "secret": 64 hex}; written by `quorum cluster init` or
//    `join`. The secret never leaves the machine in the clear: peers prove they know it (peer_proof.h) and
//    mDNS carries only the fingerprint.
//  - The join token carries the cluster id and secret, with a check value so that a mistyped token is
//  refused:
//    "qc1." + base64url("<cluster_id>:<secret>:<8 hex of SHA-256 of the two>").
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "core/result.h"

namespace quorum::cluster {

struct NodeIdentity {
  std::string id;
  std::string name;
};

struct Membership {
  std::string cluster_id;
  std::string secret;
  // 16 hex characters derived from id and secret: equal for the nodes of one cluster, useless for guessing
  // the secret. Announced over mDNS so that nodes of other clusters can be ignored without asking them.
  std::string fingerprint() const;
};

// Reads node.json, creating it (and the directory) when missing.
Result<NodeIdentity> load_or_create_identity(const std::string& state_dir);
// Renames the node (kept in node.json). Names are 1 to 63 printable characters.
Status rename_node(const std::string& state_dir, NodeIdentity& identity, const std::string& name);

// A new cluster: random 64-bit id and 256-bit secret.
Membership new_cluster();
std::string encode_join_token(const Membership& m);
// 400-style errors (the message says what is wrong with the token) for anything but a valid token.
Result<Membership> decode_join_token(std::string_view token);

// Writes `text` to `path` through a temporary file, fsync and a rename (a crash never leaves half a file),
// with `mode`; creates the directory.
Status write_file_atomically(const std::filesystem::path& path, const std::string& text, mode_t mode);

// nullopt when this node belongs to no cluster yet.
Result<std::optional<Membership>> load_membership(const std::string& state_dir);
// Writes cluster.json atomically with mode 0600.
Status save_membership(const std::string& state_dir, const Membership& m);

// relay.json (mode 0600), written by `quorum relay join`: the relay this node keeps a link to, and the
// node's own Ed25519 key for it (its 32-byte seed, base64url), enrolled there.
struct RelayMembership {
  std::string url;  // http(s):// of the relay; the link is its ws(s):// twin
  std::string node_key_seed;
  std::string relay_id;
};
Result<std::optional<RelayMembership>> load_relay_membership(const std::string& state_dir);
Status save_relay_membership(const std::string& state_dir, const RelayMembership& m);
// Removes cluster.json (the node leaves its cluster, effective at its next start); no error when there is
// none.
Status forget_membership(const std::string& state_dir);
// Removes relay.json; no error when there is none.
Status forget_relay_membership(const std::string& state_dir);

}  // namespace quorum::cluster
