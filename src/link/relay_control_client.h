// Calls to a relay's control API from this machine (the CLI's `quorum relay|keys|usage`, and the node's
// page): one request at a time, run to its end on a private io_context, so the caller's thread blocks. https
// is checked against the system's trust store, or the CA file named by QUORUM_RELAY_CA_FILE (tests, private
// CAs).
#pragma once

#include <boost/json/value.hpp>
#include <string>

#include "cluster/signing_key.h"
#include "core/result.h"

namespace quorum::link {

struct RelayReply {
  int status = 0;
  boost::json::value body;  // the JSON answer, or its text as a string when it is not JSON
};

// One request to the relay at `base` (http(s)://host[:port]). `sign_with` set: signed as a control request
// of node `node_id` (relay_auth.h).
Result<RelayReply> relay_call(const std::string& base, const std::string& method, const std::string& target,
                              const std::string& body, const cluster::SigningKey* sign_with,
                              const std::string& node_id);
// The relay's error message ({"error":{"message"}}), or "the relay answered N".
std::string relay_error_message(const RelayReply& reply);

struct Enrolled {
  std::string node_name;
  std::string relay_id;
};
// Enrols this node (state directory `state_dir`, which must be in a cluster) at the relay `url`, presenting
// the operator's enrolment `token` (a cluster's first node; later ones need none), and writes relay.json. A
// running node connects within seconds.
Result<Enrolled> enrol_at_relay(const std::string& state_dir, const std::string& url,
                                const std::string& token);

}  // namespace quorum::link
