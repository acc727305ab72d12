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
// missing id, absurd sizes or negative counts.
Result<NodeStatus> parse_node_status(std::string_view body);

}  // namespace quorum::cluster
