// `quorum cluster init|join|show`: the node's cluster membership, kept in its state directory (see
// cluster/membership.h). They work on the files directly, so the node need not run; a running node reads
// them when it starts.
#pragma once

#include <string>

namespace quorum::cli {

// Creates a cluster and makes this node its first member; prints the join token as the last line. Refuses
// when the node already belongs to a cluster, unless `force`.
int run_cluster_init(const std::string& state_dir, bool force);
// Joins the cluster of a join token (replacing any earlier membership). The token is `token`; or, when
// `token_file` is set, that file's content; or, when `token` is empty or "-", standard input's first line.
int run_cluster_join(const std::string& state_dir, const std::string& token, const std::string& token_file);
// Prints the node's name and id and its cluster's id and fingerprint; the join token (which carries the
// secret) only with `show_secret`. `json` prints the same as one JSON object.
int run_cluster_show(const std::string& state_dir, bool show_secret, bool json);

}  // namespace quorum::cli
