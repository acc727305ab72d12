// Api: the OpenAI-compatible API a node serves (docs/api.md). For each request it asks the auth chain who is
// calling (auth/authenticator.h), refuses what web pages must not do (browser_guard.h: foreign or opaque
// Origin, a Host that is not this node's, POST bodies not sent as JSON), matches the path (routes.h) and
// hands the request to its endpoint (endpoints.h), which reaches engines and peers through the router
// (router/router.h) and reports at its end to the request observers (log line, metrics).
//
// Threading: one Api is shared by every server thread; handle() runs on the calling connection's executor,
// and every upstream call it makes runs there too. set_address(), set_own_names() and set_cluster() are
// called before serving (set_cluster(nullptr) again once serving stopped, before the cluster goes).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "auth/key_book.h"
#include "cluster/membership.h"
#include "cluster/node_status.h"
#include "engines/registry.h"
#include "net/http_server.h"
#include "node/api/context.h"
#include "node/config.h"
#include "node/metrics.h"
#include "router/router.h"

namespace quorum::node::ui {
struct UiContext;
}

namespace quorum::node {

class ClusterNode;
class ClusterPeers;

class Api {
 public:
  // `self`: who this node is. Takes from `config` what the API and the router need (not kept).
  Api(const NodeConfig& config, engines::EngineRegistry& registry, Metrics& metrics,
      const cluster::NodeIdentity& self);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Where peers reach this node (heartbeats and GET /v1/cluster/nodes).
  void set_address(std::string address, unsigned short port);
  // The names callers on loopback may give in Host (browser_guard.h own_host_names()), with the port of
  // set_address(). Until set, only localhost, 127.0.0.1 and [::1].
  void set_own_names(std::vector<std::string> names);
  // The node's cluster: its members may call from other machines with a peer proof, and requests for models
  // that peers hold are forwarded to them. Without one (null), only loopback callers are served and only
  // local engines are used.
  void set_cluster(ClusterNode* cluster);

  // The server's Admit callback (net/http_server.h): from the head alone, a caller already known (loopback)
  // is admitted, a peer whose proof holds so far is admitted as unverified (its body is bounded by the node's
  // budget of unverified bodies), and every other caller is refused in the API's shape (401) before a byte
  // of its body is read. Defined in admission.cpp.
  net::Admission admit(const net::RequestHead& head) const;

  // Not a coroutine: it checks the caller, picks the endpoint and returns that endpoint's coroutine, so no
  // frame of its own stays allocated for the length of a stream. `request` and `writer` must outlive the
  // returned task (the server's connection loop owns both).
  net::Task<void> handle(net::HttpRequest& request, net::ResponseWriter& writer);

  // What this node tells its peers in heartbeats: its own engines' models, in-flight requests, capacity.
  cluster::NodeStatus local_status() const;

  // The cluster's API keys as the relay sent them: a key holder on the LAN is checked against them.
  const std::shared_ptr<auth::KeyBook>& key_book() const { return keys_; }

  // Adds an observer of every finished request (before serving starts).
  void observe(std::unique_ptr<api::RequestObserver> observer) {
    context_.observers.add(std::move(observer));
  }
  // Called whenever a request starts or stops being served by this node (any thread; before serving).
  void on_load(std::function<void()> on_load) { on_load_ = std::move(on_load); }
  // The local UI (node/ui/ui_endpoints.h): its paths are served to loopback callers. Before serving.
  void set_ui(ui::UiContext* ui) { ui_ = ui; }
  const api::ApiContext& context() const { return context_; }

 private:
  router::Router router_;
  api::ApiContext context_;
  std::unique_ptr<auth::Authenticator> auth_;
  std::shared_ptr<auth::KeyBook> keys_ = std::make_shared<auth::KeyBook>();
  std::unique_ptr<ClusterPeers> peers_;
  std::vector<std::string> own_names_;
  std::function<void()> on_load_;
  ui::UiContext* ui_ = nullptr;
};

}  // namespace quorum::node
