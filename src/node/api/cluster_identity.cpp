// GET /v1/cluster/identity: who this node is ({"id","name"}), with X-Quorum-Node and a signed reply
// (cluster/peer_proof.h). The one request between nodes that may be addressed to nobody in particular: a node
// sends it to a --peer whose id it does not know, then addresses its heartbeat to the id answered. It
// changes nothing here, so replaying a captured one elsewhere only learns what mDNS announces anyway.
#include <boost/json.hpp>

#include "cluster/peer_proof.h"
#include "node/api/endpoints.h"
#include "node/api/responses.h"
#include "node/cluster_node.h"

namespace quorum::node::api {

net::Task<void> serve_identity(ApiContext& api, net::HttpRequest& req, net::ResponseWriter& w,
                               std::string request_id) {
  if (!api.cluster) {
    ApiError e = ApiError::not_found("This node is in no cluster (see `quorum cluster init`).", std::nullopt,
                                     std::string("no_cluster"));
    co_await send_error(w, e, request_id);
    co_return;
  }
  std::string answer =
      boost::json::serialize(boost::json::object{{"id", api.self.id}, {"name", api.self.name}});
  net::Headers h = json_headers(request_id);
  h.add(std::string(cluster::peer_headers::kNode), api.self.id);
  h.add(std::string(cluster::peer_headers::kProof),
        cluster::sign_peer_reply(api.cluster->membership().secret,
                                 req.headers.get(cluster::peer_headers::kNonce), api.self.id, answer));
  co_await w.send(200, h, std::move(answer));
}

}  // namespace quorum::node::api
