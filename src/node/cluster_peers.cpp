#include "node/cluster_peers.h"

namespace quorum::node {

std::vector<router::PeerCandidate> ClusterPeers::holders(const std::string& model) const {
  std::vector<router::PeerCandidate> out;
  for (const auto& h : cluster_.registry().holders(model)) {
    out.push_back(router::PeerCandidate{h.id, h.name, h.loaded, h.in_flight, h.capacity});
  }
  return out;
}

bool ClusterPeers::is_reachable(const std::string& node_id) const {
  return cluster_.registry().is_reachable(node_id);
}

std::vector<std::string> ClusterPeers::unreachable_holders(const std::string& model) const {
  return cluster_.registry().unreachable_holders(model);
}

std::shared_ptr<engines::Backend> ClusterPeers::backend_for(const std::string& node_id) {
  return cluster_.peer_backend(node_id);
}

void ClusterPeers::forwarding(const std::string& node_id, int delta) {
  cluster_.registry().forwarding(node_id, delta);
}

Subscription ClusterPeers::watch(const std::string& node_id, const boost::asio::any_io_executor& executor,
                                 std::function<void()> on_lost) {
  return cluster_.watch_peer(node_id, executor, std::move(on_lost));
}

}  // namespace quorum::node
