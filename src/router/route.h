// Route: one way to serve a request — an engine of this node, or a peer node through the backend that
// forwards to it — and the names a client, a log line and a metric use for it.
#pragma once

#include <memory>
#include <string>

#include "engines/backend.h"

namespace quorum::router {

using net::Task;

struct Route {
  std::shared_ptr<engines::Backend> backend;
  std::string model;  // the id the engine knows the model by
  bool local = true;
  std::string node_id;  // the node that serves it
  std::string node_name;

  // What the client is told about who was tried: "engine 'ollama' on this node" or "node 'c'".
  std::string label() const {
    return local ? "engine '" + backend->name() + "' on this node" : "node '" + node_name + "'";
  }
  // The engine label of logs and metrics: the engine's name, or "peer:NAME" for a peer node.
  std::string engine_label() const { return local ? backend->name() : "peer:" + node_name; }
};

// Who served a request (or was tried last): what responses, logs and metrics name.
struct Served {
  std::string engine;  // Route::engine_label()
  std::string node_id;
  std::string node_name;

  static Served by(const Route& route) { return {route.engine_label(), route.node_id, route.node_name}; }
};

}  // namespace quorum::router
