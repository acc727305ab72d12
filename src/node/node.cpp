#include "node/node.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <filesystem>
#include <thread>

#include "cluster/mdns_service.h"
#include "core/log.h"
#include "core/version.h"
#include "engines/llamacpp/llamacpp_backend.h"
#include "engines/openai_backend.h"
#include "node/api/browser_guard.h"
#include "node/engines_setup.h"
#include "node/relaunch.h"
#include "node/settings_file.h"
#include "node/ui/ui_guard.h"
#include "node/update_relaunch.h"
#include "update/feed_io.h"

namespace quorum::node {

namespace asio = boost::asio;

namespace {

constexpr auto kGracePeriod = std::chrono::seconds(10);  // for responses in progress at shutdown

// SO_REUSEPORT would let this node share the port with another process already serving it (requests split
// between the two). A plain bind fails when the port is taken, as a single listener would. Throws then.
void probe_plain_bind(const std::string& host, unsigned short port) {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host), port);
  asio::io_context probe_context(1);
  asio::ip::tcp::acceptor probe(probe_context);
  probe.open(endpoint.protocol());
  probe.set_option(asio::socket_base::reuse_address(true));
  probe.bind(endpoint);
}

// This machine's host name, or empty when it has none.
std::string this_host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

// Raises the soft limit on open descriptors to the hard one (the default soft limit, often 1024, is what a
// few hundred idle connections exhaust) and returns the limit now in force.
uint64_t raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  const rlim_t before = limit.rlim_cur;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) limit.rlim_cur = before;
  }
  log::debug("open descriptors: at most " + std::to_string(limit.rlim_cur) + " (was " +
             std::to_string(before) + ", hard limit " + std::to_string(limit.rlim_max) + ")");
  return limit.rlim_cur;
}

std::shared_ptr<net::Intake> make_intake() {
  auto limits = net::fit_to_descriptors(net::IntakeLimits{}, raise_descriptor_limit());
  log::debug("connections served at once: " + std::to_string(limits.network_connections) +
             " from other machines (" + std::to_string(limits.connections_per_source) + " per address), " +
             std::to_string(limits.loopback_connections) + " from this one");
  return std::make_shared<net::Intake>(limits);
}

}  // namespace

std::unique_ptr<Node> Node::create(NodeConfig config) {
  if (config.log_level == "debug") log::set_level(log::Level::kDebug);
  if (config.log_level == "warn") log::set_level(log::Level::kWarn);
  if (config.log_level == "error") log::set_level(log::Level::kError);
  engines::stream_paths().pass_through.store(config.pass_through, std::memory_order_relaxed);
  if (config.state_dir.empty()) config.state_dir = default_state_dir();
  std::error_code fs_ec;
  std::filesystem::create_directories(config.state_dir, fs_ec);
  if (fs_ec) {
    log::error("cannot create the state directory " + config.state_dir + ": " + fs_ec.message());
    return nullptr;
  }
  auto identity = cluster::load_or_create_identity(config.state_dir);
  if (!identity) {
    log::error(identity.error().message);
    return nullptr;
  }
  if (!config.name.empty()) {
    if (auto renamed = cluster::rename_node(config.state_dir, *identity, config.name); !renamed) {
      log::error("--name: " + renamed.error().message);
      return nullptr;
    }
  }
  // What the user changed from the node's page (flags win).
  auto settings = load_settings(config.state_dir);
  if (!settings) {
    log::error(settings.error().message);
    return nullptr;
  }
  apply_settings(*settings, config);
  auto membership = cluster::load_membership(config.state_dir);
  if (!membership) {
    log::error(membership.error().message);
    return nullptr;
  }
  log::info("node '" + identity->name + "' (" + identity->id + ")" +
            (membership.value() ? ", cluster " + membership.value()->cluster_id + " (fingerprint " +
                                      membership.value()->fingerprint() + ")"
                                : ", in no cluster"));
  auto node = std::make_unique<Node>(Key{}, std::move(config), std::move(identity.value()),
                                     std::move(membership.value()));
  if (!node->add_engines()) return nullptr;
  auto plan = node->open_listeners();
  if (!plan) return nullptr;
  node->join_cluster(*plan);
  node->open_ui();
  return node;
}

Node::Node(Key, NodeConfig config, cluster::NodeIdentity identity,
           std::optional<cluster::Membership> membership)
    : config_(std::move(config)),
      identity_(std::move(identity)),
      membership_(std::move(membership)),
      api_(config_, registry_, metrics_, identity_),
      intake_(make_intake()) {}

Node::~Node() {
  if (update_) update_->stop();  // its worker tells the UI: it ends before the UI goes
  // The cluster goes before the contexts (members go in reverse order): a stream that a stopped context
  // still holds must find no peers to account to when it is destroyed.
  api_.set_cluster(nullptr);
}

bool Node::add_engines() {
  for (const auto& spec : config_.engines) {
    registry_.add(make_backend(spec, config_), /*autodetected=*/false);
    log::info("engine '" + spec.name + "' (" + spec.type + ") at " + spec.url);
  }
  if (!config_.embedded.enabled) return true;
  auto embedded = make_embedded_backend(config_);
  if (!embedded) return false;  // the reason is logged
  embedded_ = std::dynamic_pointer_cast<engines::llamacpp::LlamaCppBackend>(embedded);
  registry_.add(embedded, /*autodetected=*/false);
  log::info("embedded engine 'llamacpp' serving GGUF files from " + embedded->location() +
            (config_.embedded.models.empty()
                 ? ""
                 : " and " + std::to_string(config_.embedded.models.size()) + " --model file(s)"));
  return true;
}

std::optional<ListenPlan> Node::open_listeners() {
  ListenInputs inputs;
  inputs.host = config_.listen_host;
  inputs.port = config_.listen_port;
  inputs.threads = config_.threads > 0
                       ? config_.threads
                       : std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 4);
  inputs.in_cluster = membership_.has_value();
  inputs.advertise = config_.cluster.advertise;
  if (inputs.in_cluster && inputs.advertise.empty()) inputs.found = cluster::advertised_addresses();
  auto plan = plan_listeners(inputs);
  if (!plan) {
    log::error(plan.error().message);
    return std::nullopt;
  }
  for (int i = 0; i < inputs.threads; ++i) contexts_.push_back(std::make_unique<asio::io_context>(1));
  port_ = config_.listen_port;
  try {
    if (!plan->probe_host.empty()) probe_plain_bind(plan->probe_host, port_);
    open(plan->listeners.front());  // the API's: with port 0 it picks the port the others share
  } catch (const std::exception& e) {
    log::error("cannot listen on " + config_.listen_host + ":" + std::to_string(config_.listen_port) + ": " +
               e.what());
    return std::nullopt;
  }
  const std::string port = std::to_string(port_);
  for (size_t i = 1; i < plan->listeners.size(); ++i) {
    const std::string& host = plan->listeners[i].host;
    try {
      open(plan->listeners[i]);
      std::string line = "listening for cluster peers on http://";
      line.append(host).append(":").append(port);
      if (host == "0.0.0.0") line += " (every interface; only members of the cluster are served)";
      log::info(line);
    } catch (const std::exception& e) {
      std::string line = "cannot listen on ";
      line.append(host).append(":").append(port).append(" for cluster peers: ").append(e.what());
      log::warn(line);
    }
  }
  return std::move(plan.value());
}

void Node::open(const Listener& listener) {
  net::ServerOptions options;
  options.limits.max_body_bytes = config_.max_body_bytes;
  options.limits.header_timeout = config_.header_timeout;
  options.limits.body_timeout = config_.body_timeout;
  options.reuse_port = listener.reuse_port;
  options.admit = [this](const net::RequestHead& head) { return api_.admit(head); };
  options.intake = intake_;
  if (membership_) options.tls = peer_tls_for(*membership_);
  auto handler = [this](net::HttpRequest& req, net::ResponseWriter& w) { return api_.handle(req, w); };
  std::vector<std::unique_ptr<net::HttpServer>> per_thread;
  per_thread.reserve(contexts_.size());
  for (auto& context : contexts_) {
    per_thread.push_back(
        std::make_unique<net::HttpServer>(context->get_executor(), listener.host, port_, handler, options));
    port_ = per_thread.back()->port();
  }
  for (auto& server : per_thread) servers_.push_back(std::move(server));
}

void Node::join_cluster(const ListenPlan& plan) {
  api_.set_address(plan.reach_address, port_);
  // The names a program on this machine may call the node by (LAN addresses as found at start).
  std::vector<std::string> addresses{config_.listen_host, plan.reach_address};
  for (const auto& bytes : plan.lan) addresses.push_back(asio::ip::address_v4(bytes).to_string());
  api_.set_own_names(api::own_host_names(this_host_name(), identity_.id + ".local", addresses));
  if (!membership_) return;
  // Presence and routing: heartbeats to the peers found by mDNS or given with --peer.
  cluster_ = std::make_unique<ClusterNode>(contexts_.front()->get_executor(), identity_, *membership_,
                                           config_.cluster, [this] { return api_.local_status(); });
  api_.set_cluster(cluster_.get());
  cluster_->start(port_, plan.lan, plan.follow_addresses);
  // The relay link (when `quorum relay join` wrote relay.json, now or later). Its streams are served by
  // the first thread's API server, on the same executor.
  relay_ = std::make_shared<RelayClient>(
      contexts_.front()->get_executor(), config_.state_dir, identity_, *membership_,
      [this] { return api_.local_status(); },
      [this](asio::ip::tcp::socket socket, net::Arrival arrival, std::string remote) {
        servers_.front()->adopt(std::move(socket), arrival, std::move(remote));
      });
  api_.observe(std::make_unique<RelayUsageReporter>(relay_));
  // Nodes on other networks: found through the relay, reached over streams of its link.
  // The cluster's API keys, so that they work on this node's LAN listener, also while the relay is away.
  if (auto saved = auth::KeyBook::load(config_.state_dir)) {
    api_.key_book()->replace(std::move(*saved));
  } else {
    log::warn("keys.json: " + saved.error().message + "; API keys work on the LAN once the relay sends them");
  }
  relay_->on_keys = [this](std::vector<auth::KeyEntry> keys) {
    if (auto saved = auth::KeyBook::save(config_.state_dir, keys); !saved) log::warn(saved.error().message);
    log::debug("relay: " + std::to_string(keys.size()) + " API key(s) of the cluster");
    api_.key_book()->replace(std::move(keys));
  };
  relay_->on_members = [this](const std::vector<std::pair<std::string, std::string>>& members, bool up) {
    cluster_->on_relay_members(members, up);
    if (ui_) ui_->relay_changed();
  };
  cluster_->set_relay_connector(
      [relay = std::weak_ptr<RelayClient>(relay_)](
          std::string node_id, asio::any_io_executor executor) -> net::Task<Result<asio::ip::tcp::socket>> {
        auto client = relay.lock();
        if (!client) co_return ApiError::server(502, "The node is stopping.");
        co_return co_await client->open_peer_stream(std::move(node_id), std::move(executor));
      });
  relay_->start();
}

void Node::open_ui() {
  auto context = std::make_unique<ui::UiContext>();
  const char* inherited = std::getenv(kUiTokenVariable);
  context->token =
      inherited && ui::well_formed_ui_token(inherited) ? std::string(inherited) : ui::new_ui_token();
  ::unsetenv(kUiTokenVariable);  // not for the engines this node may start
  auto main = contexts_.front()->get_executor();
  NodeUiParts parts{config_, identity_, membership_, registry_, api_};
  parts.cluster = cluster_.get();
  parts.relay = relay_;
  parts.embedded = embedded_;
  parts.listen = config_.listen_host + ":" + std::to_string(port_);
  parts.executor = main;
  parts.restart = [this](const std::string& reason, std::vector<std::string> drop) {
    restart(reason, std::move(drop));
  };
  parts.refresh_engines = [this, main] { asio::co_spawn(main, registry_.refresh(), asio::detached); };
  update_ = std::make_shared<NodeUpdate>(
      config_.update, update::running_executable(), main, [this] { ui_->update_changed(); },
      [this](UpdateHandoff handoff) { restart_for_update(std::move(handoff)); });
  parts.update = update_;
  ui_ = std::make_unique<NodeUi>(std::move(parts));
  context->hub = ui_->hub();
  context->actions = ui_.get();
  ui_context_ = std::move(context);
  ui_->start();
  update_->start();
  api_.set_ui(ui_context_.get());
}

void Node::restart(const std::string& reason, std::vector<std::string> drop) {
  std::lock_guard lock(stop_mutex_);
  if (!stop_ || relaunch_) return;
  relaunch_ = true;
  relaunch_drop_ = std::move(drop);
  stop_("restarting: " + reason);
}

void Node::restart_for_update(UpdateHandoff handoff) {
  std::lock_guard lock(stop_mutex_);
  if (!stop_ || relaunch_) return;
  relaunch_ = true;
  update_handoff_ = std::move(handoff);
  stop_("restarting into " + update_handoff_->version);
}

std::string Node::health_url() const {
  std::string host = config_.listen_host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port_) + "/health";
}

int Node::run() {
  auto& main_ctx = *contexts_.front();
  for (auto& server : servers_) server->start();
  asio::cancellation_signal stop_watch;
  asio::co_spawn(main_ctx, engine_watch_loop(config_, registry_),
                 asio::bind_cancellation_slot(stop_watch.slot(), asio::detached));

  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  guards.reserve(contexts_.size());
  for (auto& c : contexts_) guards.push_back(asio::make_work_guard(*c));
  asio::steady_timer grace(main_ctx);
  asio::signal_set signals(main_ctx, SIGINT, SIGTERM);
  bool stopping = false;
  auto shut_down = [&](const std::string& why) {
    if (std::exchange(stopping, true)) return;
    log::info(why);
    signals.cancel();
    stop_watch.emit(asio::cancellation_type::terminal);
    if (cluster_) cluster_->stop();  // mDNS goodbye to the peers, no more heartbeats
    if (relay_) relay_->stop();
    if (update_) update_->stop_timer();
    if (ui_) ui_->hub()->close_all(relaunch_ ? why : std::string());  // the pages' event streams end
    guards.clear();
    drain(grace);
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    shut_down(std::string("received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  });
  {
    std::lock_guard lock(stop_mutex_);
    stop_ = [&shut_down, main = main_ctx.get_executor()](std::string why) {
      asio::post(main, [&shut_down, why = std::move(why)] { shut_down(why); });
    };
  }

  log::info(std::string("quorum node ") + quorum::version() + " listening on http://" + config_.listen_host +
            ":" + std::to_string(port_) + " (" + std::to_string(contexts_.size()) + " thread(s), state in " +
            config_.state_dir + ")");
  std::vector<std::thread> workers;
  for (size_t i = 1; i < contexts_.size(); ++i) workers.emplace_back([this, i] { contexts_[i]->run(); });
  main_ctx.run();
  {
    std::lock_guard lock(stop_mutex_);
    stop_ = nullptr;
  }
  stop_contexts();
  for (auto& t : workers) t.join();
  registry_.shutdown_all();  // the embedded engine's threads post to the contexts: they end first
  log::info("stopped");
  return 0;
}

void Node::drain(asio::steady_timer& grace) {
  grace.expires_after(kGracePeriod);
  grace.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) stop_contexts();
  });
  // Counted on the first context only: each server's drain is posted there.
  auto undrained = std::make_shared<size_t>(servers_.size());
  auto on_drained = [this, undrained, &grace, main = contexts_.front()->get_executor()] {
    asio::post(main, [this, undrained, &grace] {
      if (--*undrained > 0) return;
      grace.cancel();
      stop_contexts();
    });
  };
  for (size_t i = 0; i < servers_.size(); ++i) {
    asio::post(*contexts_[i % contexts_.size()],
               [this, i, on_drained] { servers_[i]->stop(false, on_drained); });
  }
}

void Node::stop_contexts() {
  for (auto& c : contexts_) c->stop();
}

int run_node(NodeConfig config) {
  auto node = Node::create(std::move(config));
  if (!node) return 1;
  const int code = node->run();
  if (!node->relaunch_requested()) {
    // The node has stopped and what is left is tearing down: a late SIGTERM or SIGINT (a supervisor or a
    // test repeating itself) must not turn this clean exit into a death by signal. (run() handled signals
    // until its signal_set went; a relaunch keeps the defaults for the program it becomes.)
    std::signal(SIGTERM, SIG_IGN);
    std::signal(SIGINT, SIG_IGN);
    return code;
  }
  if (auto handoff = node->update_handoff()) {
    const std::string health = node->health_url();
    const std::string token = node->ui_token();
    node.reset();  // every socket closed, every engine stopped, before the new binary binds the same port
    log::info("relaunching into " + handoff->version);
    const std::string failed = relaunch_into_update(*handoff, health, launch_arguments(), token);
    log::error("could not relaunch into the update (the watchdog rolls back): " + failed);
    return 1;
  }
  const std::vector<std::string> drop = node->relaunch_without();
  const std::string token = node->ui_token();
  node.reset();  // every socket closed, every engine stopped, before the new run binds the same port
  log::info("restarting");
  const std::string failed = relaunch(drop, token);
  log::error("could not restart: " + failed);
  return 1;
}

}  // namespace quorum::node
