#include "node/node.h"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <thread>

#include "cluster/membership.h"
#include "core/log.h"
#include "node/api/api.h"
#include "node/cluster_node.h"
#include "node/engines_setup.h"

namespace quorum::node {

namespace asio = boost::asio;

int run_node(NodeConfig config) {
  if (config.log_level == "debug") log::set_level(log::Level::kDebug);
  if (config.log_level == "warn") log::set_level(log::Level::kWarn);
  if (config.log_level == "error") log::set_level(log::Level::kError);
  if (config.state_dir.empty()) config.state_dir = default_state_dir();
  std::error_code fs_ec;
  std::filesystem::create_directories(config.state_dir, fs_ec);
  if (fs_ec) {
    log::error("cannot create the state directory " + config.state_dir + ": " + fs_ec.message());
    return 1;
  }
  auto identity = cluster::load_or_create_identity(config.state_dir);
  if (!identity) {
    log::error(identity.error().message);
    return 1;
  }
  if (!config.name.empty()) {
    if (auto renamed = cluster::rename_node(config.state_dir, *identity, config.name); !renamed) {
      log::error("--name: " + renamed.error().message);
      return 1;
    }
  }
  auto membership = cluster::load_membership(config.state_dir);
  if (!membership) {
    log::error(membership.error().message);
    return 1;
  }
  log::info("node '" + identity->name + "' (" + identity->id + ")" +
            (membership.value() ? ", cluster " + membership.value()->cluster_id + " (fingerprint " +
                                      membership.value()->fingerprint() + ")"
                                : ", in no cluster"));
  int threads = config.threads > 0 ? config.threads
                                   : std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 4);

  engines::EngineRegistry registry;
  for (const auto& spec : config.engines) {
    registry.add(make_backend(spec, config), /*autodetected=*/false);
    log::info("engine '" + spec.name + "' (" + spec.type + ") at " + spec.url);
  }
  std::shared_ptr<engines::llamacpp::LlamaCppBackend> embedded;
  if (config.embedded.enabled) {
    embedded = make_embedded_backend(config);
    if (!embedded) return 1;
    registry.add(embedded, /*autodetected=*/false);
    log::info("embedded engine 'llamacpp' serving GGUF files from " + embedded->location() +
              (config.embedded.models.empty()
                   ? ""
                   : " and " + std::to_string(config.embedded.models.size()) + " --model file(s)"));
  }
  Metrics metrics;
  Api api(config, registry, metrics, *identity);
  net::ServerLimits limits;
  limits.max_body_bytes = config.max_body_bytes;
  auto handler = [&api](net::HttpRequest& req, net::ResponseWriter& w) { return api.handle(req, w); };

  // A node in a cluster that serves loopback (the default) also serves its peers on every interface, same
  // port, so that it stays reachable when its LAN address changes (Wi-Fi, DHCP); only members of the cluster
  // are served there (see Api::handle). With --advertise, only the addresses given.
  const bool loopback_listen = asio::ip::make_address(config.listen_host).is_loopback();
  const bool wildcard_lan = membership.value() && loopback_listen && config.cluster.advertise.empty();
  const bool reuse_port = threads > 1 || wildcard_lan;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<std::unique_ptr<net::HttpServer>> servers;
  unsigned short port = config.listen_port;
  try {
    if (reuse_port && port != 0) {
      // SO_REUSEPORT would let this node share the port with another process already serving it (requests
      // split between the two). A plain bind first fails when the port is taken, as a single thread would.
      asio::ip::tcp::endpoint endpoint(asio::ip::make_address(wildcard_lan ? "0.0.0.0" : config.listen_host),
                                       port);
      asio::io_context probe_context(1);
      asio::ip::tcp::acceptor probe(probe_context);
      probe.open(endpoint.protocol());
      probe.set_option(asio::socket_base::reuse_address(true));
      probe.bind(endpoint);
    }
    for (int i = 0; i < threads; ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      servers.push_back(std::make_unique<net::HttpServer>(contexts.back()->get_executor(), config.listen_host,
                                                          port, handler, limits, reuse_port));
      port = servers.back()->port();  // with port 0, the others share the port the first one got
    }
  } catch (const std::exception& e) {
    log::error("cannot listen on " + config.listen_host + ":" + std::to_string(config.listen_port) + ": " +
               e.what());
    return 1;
  }
  // A node in a cluster is reachable by its peers: it also listens on its LAN addresses, same port (callers
  // there must prove they are of the cluster; see Api::handle).
  std::vector<std::array<uint8_t, 4>> lan;
  if (membership.value()) {
    if (config.cluster.advertise.empty()) {
      lan = cluster::advertised_addresses();
    } else {
      for (const auto& text : config.cluster.advertise) {
        boost::system::error_code ec;
        auto address = asio::ip::make_address_v4(text, ec);
        if (ec) {
          log::error("--advertise " + text + ": not an IPv4 address (IPv6 is not supported yet)");
          return 1;
        }
        lan.push_back(address.to_bytes());
      }
    }
  }
  // One listener per thread for each LAN address, all or none, so that servers[k] belongs to
  // contexts[k % threads].
  auto listen_for_peers = [&](const std::string& host) {
    try {
      std::vector<std::unique_ptr<net::HttpServer>> per_thread;
      per_thread.reserve(static_cast<size_t>(threads));
      for (int i = 0; i < threads; ++i) {
        per_thread.push_back(std::make_unique<net::HttpServer>(
            contexts[static_cast<size_t>(i)]->get_executor(), host, port, handler, limits, reuse_port));
      }
      for (auto& server : per_thread) servers.push_back(std::move(server));
      log::info("listening for cluster peers on http://" + host + ":" + std::to_string(port) +
                (host == "0.0.0.0" ? " (every interface; only members of the cluster are served)" : ""));
    } catch (const std::exception& e) {
      log::warn("cannot listen on " + host + ":" + std::to_string(port) + " for cluster peers: " + e.what());
    }
  };
  if (wildcard_lan) {
    listen_for_peers("0.0.0.0");
  } else if (loopback_listen) {
    for (const auto& bytes : lan) {
      std::string host = asio::ip::address_v4(bytes).to_string();
      if (host != config.listen_host) listen_for_peers(host);  // --advertise may name the address served
    }
  }
  for (auto& s : servers) s->start();

  auto& main_ctx = *contexts.front();
  api.set_address(
      loopback_listen && !lan.empty() ? asio::ip::address_v4(lan.front()).to_string() : config.listen_host,
      port);
  // The cluster: presence and routing (heartbeats to the peers found by mDNS or given with --peer).
  std::unique_ptr<ClusterNode> cluster_node;
  if (membership.value()) {
    cluster_node = std::make_unique<ClusterNode>(main_ctx.get_executor(), *identity, *membership.value(),
                                                 config.cluster, [&api] { return api.local_status(); });
    api.set_cluster(cluster_node.get());
    cluster_node->start(port, lan, /*follow_addresses=*/wildcard_lan);
  }
  asio::cancellation_signal stop_watch;
  asio::co_spawn(main_ctx, engine_watch_loop(config, registry),
                 asio::bind_cancellation_slot(stop_watch.slot(), asio::detached));

  asio::signal_set signals(main_ctx, SIGINT, SIGTERM);
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  guards.reserve(contexts.size());
  for (auto& c : contexts) guards.push_back(asio::make_work_guard(*c));
  asio::steady_timer shutdown_deadline(main_ctx);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log::info(std::string("received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
    stop_watch.emit(asio::cancellation_type::terminal);
    if (cluster_node) cluster_node->stop();  // mDNS goodbye to the peers, no more heartbeats
    for (size_t i = 0; i < servers.size(); ++i) {
      asio::post(*contexts[i % contexts.size()], [&, i] { servers[i]->stop(false); });
    }
    for (auto& g : guards) g.reset();
    // Responses in progress get a grace period, then everything stops.
    shutdown_deadline.expires_after(std::chrono::seconds(10));
    shutdown_deadline.async_wait([&](const boost::system::error_code& tec) {
      if (tec) return;
      for (auto& c : contexts) c->stop();
    });
    // When only the deadline timer remains on the main context, the others may already be done.
    asio::co_spawn(
        main_ctx,
        [&]() -> net::Task<void> {
          asio::steady_timer poll(main_ctx);
          for (;;) {
            bool busy = false;
            for (auto& s : servers) busy = busy || s->open_connections() > 0;
            if (!busy) break;
            poll.expires_after(std::chrono::milliseconds(50));
            co_await poll.async_wait(asio::use_awaitable);
          }
          shutdown_deadline.cancel();
          for (auto& c : contexts) c->stop();
        },
        asio::detached);
  });

  log::info("quorum node " QUORUM_VERSION " listening on http://" + config.listen_host + ":" +
            std::to_string(port) + " (" + std::to_string(threads) + " thread(s), state in " +
            config.state_dir + ")");
  std::vector<std::thread> workers;
  for (size_t i = 1; i < contexts.size(); ++i) workers.emplace_back([&, i] { contexts[i]->run(); });
  main_ctx.run();
  for (auto& c : contexts) c->stop();
  for (auto& t : workers) t.join();
  registry.shutdown_all();  // the embedded engine's model threads post to the contexts: stop them first
  servers.clear();
  log::info("stopped");
  return 0;
}

}  // namespace quorum::node
