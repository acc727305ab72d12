// What a node tells its peers about itself in every heartbeat: who it is, which models its engines offer
// (loaded or not), which engines answer, and how busy it is. Pure JSON codec, no I/O.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace quorum::cluster {

struct ModelState {
  std::string id;
  bool loaded = false;   // warm: a request needs no load
  int64_t created = 0;   // Unix seconds, 0 when unknown
  std::string owned_by;  // as the engine says
};

struct NodeStatus {
  std::string id;
  std::string name;
  std::string version;
  unsigned short port = 0;           // the API port, where peers reach it
  std::vector<ModelState> models;    // offered by this node's own engines only, never by its peers
  std::vector<std::string> engines;  // names of the engines answering now
  int in_flight = 0;                 // generations being served by this node's engines
  int capacity = 1;                  // generations it serves well at once (at least 1)
};

boost::json::object status_to_json(const NodeStatus& status);

// Validates as it parses: a peer may send anything. Fails (502, naming what is wrong) on malformed JSON, a
// missing or invalid id (see valid_status_text), absurd sizes (over 10 000 models or 256 engines) or
// negative counts. A model entry that cannot be used (not an object, or its id invalid) is skipped, not the
// whole status: one odd model name must not drop its node from the cluster.
Result<NodeStatus> parse_node_status(std::string_view body);

// True when `text` (a node id, a model id, a name) can travel in a status: at most 512 bytes, no control
// characters (ids and names end up in logs and terminals).
bool valid_status_text(std::string_view text);

// `status` as this node tells it to its peers: without the models whose id fails valid_status_text or
// beyond the first 10 000, and without such engine names, so that its peers take the rest. The ids left out
// are appended to `left_out` (for the log).
NodeStatus shareable_status(NodeStatus status, std::vector<std::string>& left_out);

}  // namespace quorum::cluster
