// Api::admit: the auth chain on a request's head (api.h).
#include "core/log.h"
#include "node/api/api.h"
#include "node/api/responses.h"
#include "wire/stream_writer.h"

namespace quorum::node {

net::Admission Api::admit(const net::RequestHead& head) const {
  auto checked = auth_->admit(head);
  if (checked) return net::Admission::admit(*checked == auth::HeadCheck::kVerified);
  const ApiError& error = checked.error();
  if (head.headers.has(cluster::peer_headers::kProof)) {
    log::warn("refused a peer request from " + head.remote_address + ": " + error.message);
  }
  return net::Admission::refuse(error.status, api::json_headers(api::new_request_id()),
                                wire::error_body(error));
}

}  // namespace quorum::node
