// The router's view of the cluster (router::PeerDirectory) over this node's ClusterNode and its registry.
#pragma once

#include "node/cluster_node.h"
#include "router/peer_directory.h"

namespace quorum::node {

class ClusterPeers final : public router::PeerDirectory {
 public:
  explicit ClusterPeers(ClusterNode& cluster) : cluster_(cluster) {}

  std::vector<router::PeerCandidate> holders(const std::string& model) const override;
  bool is_reachable(const std::string& node_id) const override;
  std::vector<std::string> unreachable_holders(const std::string& model) const override;
  std::shared_ptr<engines::Backend> backend_for(const std::string& node_id) override;
  void forwarding(const std::string& node_id, int delta) override;
  Subscription watch(const std::string& node_id, const boost::asio::any_io_executor& executor,
                     std::function<void()> on_lost) override;

 private:
  ClusterNode& cluster_;
};

}  // namespace quorum::node
