#include "relay/relay_server.h"

#include <sys/resource.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>
#include <optional>

#include "cluster/crypto.h"
#include "core/log.h"
#include "core/version.h"
#include "link/relay_auth.h"
#include "net/http_server.h"
#include "net/intake.h"
#include "net/server_certificate.h"
#include "net/server_limits.h"
#include "relay/mesh.h"
#include "relay/node_hub.h"
#include "relay/relay_api.h"
#include "relay/store.h"

namespace quorum::relay {

namespace asio = net::asio;

namespace {

// After the drain time, how long the streams still running get to end with an error before the relay exits.
constexpr auto kFinalGrace = std::chrono::seconds(5);
// The reason nodes are given in GOAWAY, and clients whose stream the restart cuts.
constexpr const char* kRestarting = "the relay is restarting";

// The soft descriptor limit raised to the hard one; the limit now.
uint64_t raise_descriptor_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return 1024;
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
  return r.rlim_cur;
}

// A relay is a public server: clients from the network are its main job, and many may share one address
// (a company's NAT). Connections are bounded by descriptors (each may hold a second one: a bridged stream).
std::shared_ptr<net::Intake> relay_intake(uint64_t descriptors) {
  net::IntakeLimits limits;
  limits.network_connections = 65536;
  limits.connections_per_source = 4096;
  limits.loopback_connections = 65536;
  return std::make_shared<net::Intake>(net::fit_to_descriptors(limits, descriptors));
}

// Polls the store for revocations of connected nodes (the CLI writes them from another process), every
// second until the timer is cancelled. A read that fails (the database unavailable for now) revokes nothing.
net::Task<void> watch_revocations(asio::steady_timer& timer, Store& store, NodeHub& hub) {
  for (;;) {
    timer.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    std::vector<std::string> revoked;
    for (const auto& n : hub.all_nodes()) {
      auto record = co_await store.node(n->id);
      auto cluster = co_await store.cluster(n->cluster_id);
      if (!record || !cluster) continue;
      const bool node_out = !*record || (*record)->revoked_at;
      const bool cluster_out = !*cluster || (*cluster)->revoked_at;
      if (node_out || cluster_out) revoked.push_back(n->id);
    }
    for (const auto& id : revoked) hub.disconnect(id, "revoked");
  }
}

// Runs `task` on `ctx` until it completes (before the relay's loop runs, or after it stopped): handlers run
// one at a time until it is done, so what else is pending on the loop does not keep this waiting.
template <class T>
T run_now(asio::io_context& ctx, asio::awaitable<T> task) {
  std::optional<T> out;
  asio::co_spawn(
      ctx, [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(task)); }, asio::detached);
  ctx.restart();
  while (!out && ctx.run_one() > 0) {
  }
  ctx.restart();  // the loop stops itself when it runs out of work: ready for the next run
  return std::move(*out);
}

// On every SIGHUP, reads the certificate again (when there is one).
void reload_on_hangup(asio::signal_set& hangups, const std::shared_ptr<net::ServerCertificate>& certificate) {
  hangups.async_wait([&hangups, certificate](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (!certificate) {
      log::info("relay: SIGHUP: no TLS certificate to reload (serving plain HTTP)");
    } else if (auto reloaded = certificate->reload(); !reloaded) {
      log::error("relay: SIGHUP: kept the TLS certificate in use (" + certificate->describe() +
                 "): " + reloaded.error().message);
    } else {
      log::info("relay: SIGHUP: TLS certificate reloaded: " + certificate->describe());
    }
    reload_on_hangup(hangups, certificate);
  });
}

}  // namespace

std::string relay_id(const std::string& data_dir) {
  const auto path = std::filesystem::path(data_dir) / "relay-id";
  std::ifstream in(path);
  std::string id;
  if (in && std::getline(in, id) && id.size() == 16) return id;
  id = cluster::random_hex(8);
  std::ofstream(path) << id << "\n";
  return id;
}

int run_relay(const RelayConfig& config) {
  const uint64_t descriptors = raise_descriptor_limit();
  asio::io_context ctx(1);
  const std::string where = config.database.empty() ? "SQLite in " + config.data_dir
                                                    : "PostgreSQL at " + redacted_database(config.database);
  auto store = run_now(ctx, open_store(config.database, config.data_dir, ctx.get_executor()));
  if (!store) {
    log::error("relay: cannot open the store (" + where + "): " + store.error().message);
    return 1;
  }
  log::info("relay: store: " + where);
  if (auto closed = run_now(ctx, (*store)->close_open_sessions("relay restarted")); !closed) {
    log::warn("relay: cannot close the sessions a previous run left open: " + closed.error().message);
  }
  const std::string id = relay_id(config.data_dir);

  NodeHub hub(ctx.get_executor(), **store, id);
  RelayApi api(**store, hub, id);
  hub.on_usage = [&api](const std::string& request_id, uint64_t tokens) {
    api.usage_reported(request_id, tokens);
  };
  hub.on_node_changed = [&api](const ConnectedNode& node, bool online) {
    api.dashboard().node_changed(node, online);
  };
  hub.on_usage_written = [&api](const std::vector<UsageRecord>& rows) {
    api.dashboard().usage_written(rows);
  };

  const auto colon = config.listen.rfind(':');
  if (colon == std::string::npos) {
    log::error("relay: --listen must be HOST:PORT");
    return 2;
  }
  std::string host = config.listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const auto port = static_cast<unsigned short>(std::stoi(config.listen.substr(colon + 1)));

  std::shared_ptr<net::ServerCertificate> certificate;
  if (!config.tls_cert.empty()) {
    auto loaded = net::ServerCertificate::load(config.tls_cert, config.tls_key);
    if (!loaded) {
      log::error("relay: TLS: " + loaded.error().message);
      return 1;
    }
    certificate = std::move(loaded.value());
  }
  api.dashboard().set_tls(certificate != nullptr);

  net::ServerOptions options;
  options.limits.max_body_bytes = config.max_body_bytes;
  // With TLS, a connection holds two descriptors more: the two ends of its bridge's socket pair.
  options.intake = relay_intake(certificate ? descriptors / 2 : descriptors);
  options.certificate = certificate;
  // Nodes of many clusters may share one address (NAT): the relay's own budgets are wide.
  auto endpoint = std::make_shared<net::ServerOptions::WebSocketEndpoint>();
  endpoint->path = std::string(link::kLinkPath);
  endpoint->subprotocol = std::string(link::kSubprotocol);
  endpoint->on_open = [&hub](net::WebSocket ws, const net::RequestHead& head) {
    hub.accept(std::move(ws), head);
  };
  options.websocket = endpoint;
  std::unique_ptr<net::HttpServer> server;
  try {
    server = std::make_unique<net::HttpServer>(
        ctx.get_executor(), host, port,
        [&api](net::HttpRequest& req, net::ResponseWriter& w) { return api.handle(req, w); }, options);
  } catch (const std::exception& e) {
    log::error("relay: cannot listen on " + config.listen + ": " + e.what());
    return 1;
  }
  // The registry of relays sharing this database: this relay joins it before it serves.
  std::string advertise = config.advertise;
  if (advertise.empty()) {
    advertise = std::string(certificate ? "https://" : "http://") +
                (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                std::to_string(server->port());
    if (host == "0.0.0.0" || host == "::") {
      log::warn("relay: --advertise is not set and --listen is " + config.listen +
                ": other relays sharing the database cannot reach this one at " + advertise);
    }
  }
  Mesh mesh(ctx.get_executor(), **store, hub, id, advertise);
  if (auto joined = run_now(ctx, mesh.join()); !joined) {
    log::error("relay: cannot register in the relay registry: " + joined.error().message);
    return 1;
  }
  api.mesh = &mesh;
  api.dashboard().route_cluster = [&mesh](std::string cluster_id, net::HttpRequest& request,
                                          net::ResponseWriter& writer) {
    return mesh.route_cluster(std::move(cluster_id), request, writer);
  };
  mesh.start();
  log::info("relay: advertised at " + log::printable(advertise));

  server->start();
  log::info(std::string("quorum-relay ") + quorum::version() + " (id " + id + ") listening on " + host + ":" +
            std::to_string(server->port()) + (certificate ? " (TLS only)" : " (plain HTTP)"));
  if (certificate) log::info("relay: TLS certificate: " + certificate->describe());

  asio::signal_set hangups(ctx, SIGHUP);
  reload_on_hangup(hangups, certificate);

  asio::steady_timer revocations(ctx);
  asio::co_spawn(ctx, watch_revocations(revocations, **store, hub), asio::detached);
  asio::steady_timer usage_timer(ctx);
  std::function<void()> flush_periodically = [&] {
    usage_timer.expires_after(NodeHub::kUsageFlush);
    usage_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      asio::co_spawn(ctx, hub.flush_usage(), asio::detached);
      flush_periodically();
    });
  };
  flush_periodically();

  asio::signal_set signals(ctx, SIGINT, SIGTERM);
  asio::steady_timer drain(ctx);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    log::info("relay: stopping: nodes are told to reconnect; requests in flight have " +
              std::to_string(config.drain_timeout.count()) + " s to finish");
    revocations.cancel();
    hangups.cancel();
    // Out of the registry at once: the others take this relay's clusters now, not kRelayLiveFor later.
    mesh.stop();
    asio::co_spawn(ctx, mesh.leave(), asio::detached);
    usage_timer.cancel();
    api.dashboard_events().close_all();  // the dashboards' streams end; browsers reconnect to the successor
    server->stop(false, [&] {
      hub.go_away(kRestarting, std::chrono::milliseconds(1000));
      drain.expires_after(std::chrono::milliseconds(200));
      drain.async_wait([&](const boost::system::error_code&) { ctx.stop(); });
    });
    drain.expires_after(config.drain_timeout);
    drain.async_wait([&](const boost::system::error_code& e) {
      if (e) return;
      // Streams still running end now, each with an in-band error and [DONE] as its node's link closes
      // (never a cut connection); the server then drains (on_drained stops the loop), or, with clients
      // that do not read their answer, the loop stops kFinalGrace later.
      log::info("relay: drain time over: the streams still running end with an error");
      hub.go_away(kRestarting, std::chrono::milliseconds(1000));
      drain.expires_after(kFinalGrace);
      drain.async_wait([&](const boost::system::error_code& last) {
        if (!last) ctx.stop();
      });
    });
  });
  ctx.run();
  // What the last seconds gathered; the loop runs again for it (and only it: the server and timers are done).
  run_now(ctx, [&hub]() -> asio::awaitable<bool> {
    co_await hub.flush_usage();
    co_return true;
  }());
  log::info("relay: stopped");
  return 0;
}

}  // namespace quorum::relay
