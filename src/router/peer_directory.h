// PeerDirectory: what the router needs to know about the other nodes of the cluster, and nothing more. The
// cluster (src/node/cluster_node.h, over the ClusterRegistry) implements it; router tests use a fake. The
// router never sees how a peer is reached (a LAN address today, the relay later): it asks for a backend.
//
// Thread-safety: every call may be made from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/subscription.h"
#include "engines/backend.h"

namespace quorum::router {

// A reachable peer whose engines offer a model, with what the schedule weighs.
struct PeerCandidate {
  std::string id;
  std::string name;
  bool loaded = false;
  int in_flight = 0;  // the larger of what it reported and what this node is sending it
  int capacity = 1;
};

class PeerDirectory {
 public:
  virtual ~PeerDirectory() = default;

  // Reachable peers whose engines offer `model`.
  virtual std::vector<PeerCandidate> holders(const std::string& model) const = 0;
  virtual bool is_reachable(const std::string& node_id) const = 0;
  // Names of the peers not reachable now that offered `model` when they last answered.
  virtual std::vector<std::string> unreachable_holders(const std::string& model) const = 0;
  // The backend that forwards a request to the peer (proving it is of the cluster, marked as forwarded so it
  // is not forwarded again); null when the peer is unknown or has no way to be reached.
  virtual std::shared_ptr<engines::Backend> backend_for(const std::string& node_id) = 0;
  // This node starts (+1) or ends (-1) a request forwarded to the peer (the load the schedule weighs).
  virtual void forwarding(const std::string& node_id, int delta) = 0;
  // While the subscription is held: `on_lost` is posted to `executor` once, when the peer stops answering
  // (or at once, when it is not reachable now). A sleeping machine leaves its connections open and silent;
  // this ends what it was serving within seconds.
  virtual Subscription watch(const std::string& node_id, const boost::asio::any_io_executor& executor,
                             std::function<void()> on_lost) = 0;
};

}  // namespace quorum::router
