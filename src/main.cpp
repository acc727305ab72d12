// The `quorum` program: `quorum node` runs the daemon; `quorum chat` and `quorum models` talk to one; `quorum
// app` and `quorum ui` show its UI.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "app/desktop.h"
#include "cli/client_commands.h"
#include "cli/cluster_commands.h"
#include "cli/relay_commands.h"
#include "cli/update_command.h"
#include "core/version.h"
#include "node/node.h"
#include "node/relaunch.h"
#include "node/update_relaunch.h"
#include "update/feed_io.h"
#include "update/release_key.h"

int main(int argc, char** argv) {
  using namespace quorum;
  node::record_launch(argc, argv);  // a restart asked from the node's page runs the same command again
  CLI::App app{"Quorum: the machines you own as one OpenAI-compatible inference cluster."};
  app.require_subcommand(1);
  app.set_version_flag("--version", quorum::version());

  // ---- quorum node ----
  node::NodeConfig config;
  std::string listen = "127.0.0.1:32768";
  std::vector<std::string> engines, autodetect_urls;
  bool no_autodetect = false;
  int keepalive = 10, idle_timeout = 300, probe_interval = 5;
  size_t max_body_mb = 8;
  auto* node_cmd =
      app.add_subcommand("node", "Run the node: the API server in front of this machine's engines.");
  node_cmd->set_config("--config", "", "Read options from a TOML file (keys are the long flag names)");
  node_cmd->add_option("--listen", listen, "Address to serve the API on (HOST:PORT)")->capture_default_str();
  node_cmd->add_option("--name", config.name,
                       "This node's name as its peers show it (default: the host name; kept)");
  node_cmd->add_option("--state-dir", config.state_dir,
                       "Where the node keeps its state (default ~/.local/share/quorum)");
  node_cmd->add_option(
      "--engine", engines,
      "An engine as NAME=URL or NAME=TYPE:URL, TYPE openai (default) or ollama (repeatable)");
  node_cmd->add_flag("--no-autodetect", no_autodetect,
                     "Do not look for engines on their default local ports");
  node_cmd->add_option(
      "--autodetect-url", autodetect_urls,
      "Probe these engines (NAME=TYPE:URL) instead of the default ports 11434, 1234, 8080, 8000");
  node_cmd->add_option("--probe-interval", probe_interval, "Seconds between engine probes")
      ->capture_default_str();
  node_cmd->add_option("--keepalive", keepalive, "Seconds between SSE keep-alive comments while waiting")
      ->capture_default_str();
  node_cmd->add_option("--idle-timeout", idle_timeout, "Seconds of engine silence before a stream is ended")
      ->capture_default_str();
  node_cmd->add_option("--max-body-mb", max_body_mb, "Largest request body accepted, in MiB")
      ->capture_default_str();
  int header_timeout = static_cast<int>(config.header_timeout.count());
  int body_timeout = static_cast<int>(config.body_timeout.count());
  node_cmd
      ->add_option("--header-timeout", header_timeout,
                   "Seconds a client has to send a request's headers before it gets 408")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  node_cmd
      ->add_option("--body-timeout", body_timeout,
                   "Seconds a client has to send a request's body before it gets 408")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  node_cmd->add_option("--threads", config.threads, "Server threads (0: one per core, at most 4)")
      ->capture_default_str();
  node_cmd->add_option("--max-retries", config.max_retries, "Engines tried for one request before giving up")
      ->capture_default_str();
  node_cmd
      ->add_option("--reasoning-field", config.reasoning_field, "Name of the reasoning field sent to clients")
      ->check(CLI::IsMember({"reasoning_content", "reasoning"}))
      ->capture_default_str();
  bool no_pass_through = false;
  node_cmd->add_flag("--no-pass-through", no_pass_through,
                     "Parse and re-write every chunk of an engine's stream, none passed through as it is "
                     "(for comparing the two paths; the answers are the same)");
  node_cmd->add_option("--log-level", config.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();

  // The embedded llama.cpp engine.
  auto& emb = config.embedded;
  bool no_embedded = false;
  double model_idle_timeout = 300;
  std::string model_memory;
  node_cmd->add_option("--models-dir", emb.models_dir,
                       "Serve every GGUF file in this folder (default <state-dir>/models)");
  node_cmd->add_option("--model", emb.models, "Serve this GGUF file, as [ID=]PATH (repeatable)");
  node_cmd->add_flag("--no-embedded", no_embedded,
                     "Do not run models in the node (no embedded llama.cpp engine)");
  node_cmd
      ->add_option("--model-idle-timeout", model_idle_timeout,
                   "Seconds without requests before a model is unloaded (0: never)")
      ->capture_default_str();
  node_cmd->add_option("--model-memory", model_memory,
                       "Memory the loaded models may take, e.g. 8G (default: three quarters of the RAM)");
  node_cmd->add_option("--model-slots", emb.slots, "Requests one model generates at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  node_cmd->add_option("--model-queue", emb.queue, "Requests that may wait for a slot before 429")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  node_cmd->add_option("--model-ctx", emb.ctx, "Context tokens per slot (0: the model's, at most 4096)")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  node_cmd->add_option("--model-threads", emb.threads, "CPU threads per model (0: one per core)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();

  // The LAN cluster.
  std::vector<std::string> peers;
  double heartbeat_interval = 2, prune_after = 300;
  node_cmd->add_option(
      "--peer", peers,
      "Another node of the cluster, as HOST:PORT, for networks where mDNS is blocked (repeatable)");
  node_cmd->add_option("--advertise", config.cluster.advertise,
                       "Address peers reach this node at, instead of the ones it finds (repeatable)");
  bool no_mdns = false;
  node_cmd->add_flag("--no-mdns", no_mdns,
                     "Neither announce this node nor look for peers by mDNS (peers: --peer)");
  node_cmd->add_option("--heartbeat-interval", heartbeat_interval, "Seconds between heartbeats to each peer")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  node_cmd->add_option("--prune-after", prune_after, "Seconds a silent peer stays listed (as unreachable)")
      ->check(CLI::Range(0.5, 86400.0))
      ->capture_default_str();
  node_cmd
      ->add_option("--capacity", config.cluster.capacity,
                   "Requests this node serves well at once, for routing (0: from its engines)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();

  // The self-update (docs/update.md).
  int update_trial_timeout = static_cast<int>(config.update.trial_timeout.count());
  node_cmd->add_option("--update-feed", config.update.feed,
                       "The release feed to update from (URL; default: none for a package install, the "
                       "build's default feed for a tarball install)");
  node_cmd
      ->add_option("--update-trial-timeout", update_trial_timeout,
                   "Seconds an updated binary has to report healthy before it is rolled back")
      ->check(CLI::Range(5, 3600))
      ->capture_default_str();

  // ---- quorum update ----
  cli::UpdateOptions update_options;
  auto* update_cmd = app.add_subcommand(
      "update", "Check the release feed and update this installation (a running node updates itself)");
  update_cmd->add_flag("--check", update_options.check_only, "Only say whether a newer release is available");
  update_cmd->add_option("--feed", update_options.feed,
                         "The release feed's URL (default $QUORUM_UPDATE_FEED)");
  update_cmd->add_option("--url", update_options.node_url,
                         "The running node to update (default $QUORUM_URL or http://127.0.0.1:32768)");
  update_cmd->add_flag("--allow-downgrade", update_options.allow_downgrade,
                       "Install the feed's release even when it is older than this one");
  // The update's watchdog, started by the node itself (node/update_relaunch.h); not for users.
  node::TrialOptions trial;
  auto* trial_cmd = app.add_subcommand("update-trial", "");
  trial_cmd->group("");
  trial_cmd->add_option("--pid", trial.pid)->required();
  trial_cmd->add_option("--health", trial.health_url)->required();
  trial_cmd->add_option("--expect", trial.expect)->required();
  trial_cmd->add_option("--timeout", trial.timeout_seconds)->required();
  trial_cmd->add_option("--target", trial.target)->required();
  trial_cmd->add_option("--previous", trial.previous)->required();
  trial_cmd->add_option("args", trial.args)->required();

  // ---- quorum chat ----
  cli::ChatOptions chat;
  auto* chat_cmd =
      app.add_subcommand("chat", "Chat with a model through a node; the reply streams to the terminal.");
  chat_cmd->add_option("--url", chat.url, "Node URL (default $QUORUM_URL or http://127.0.0.1:32768)");
  chat_cmd->add_option("-m,--model", chat.model, "Model id (see `quorum models`)")->required();
  chat_cmd->add_option("--system", chat.system, "A system prompt");
  chat_cmd->add_option("--max-tokens", chat.max_tokens, "Longest reply, in tokens");
  chat_cmd->add_option("--temperature", chat.temperature, "Sampling temperature");
  chat_cmd->add_option("prompt", chat.prompt, "The prompt (read from standard input when absent)");

  // ---- quorum models ----
  std::string models_url;
  bool models_json = false;
  auto* models_cmd =
      app.add_subcommand("models", "List the models a node serves and the engines behind each.");
  models_cmd->add_option("--url", models_url, "Node URL (default $QUORUM_URL or http://127.0.0.1:32768)");
  models_cmd->add_flag("--json", models_json, "Print the raw JSON");

  // ---- quorum nodes ----
  std::string nodes_url;
  bool nodes_json = false;
  auto* nodes_cmd =
      app.add_subcommand("nodes", "List this node and the other nodes of its cluster on the LAN.");
  nodes_cmd->add_option("--url", nodes_url, "Node URL (default $QUORUM_URL or http://127.0.0.1:32768)");
  nodes_cmd->add_flag("--json", nodes_json, "Print the raw JSON");

  // ---- quorum cluster ----
  std::string cluster_state_dir, join_token, join_token_file;
  bool cluster_force = false, show_secret = false, cluster_json = false;
  auto* cluster_cmd = app.add_subcommand("cluster", "This node's cluster: create one, join one, show it.");
  cluster_cmd->require_subcommand(1);
  cluster_cmd->add_option("--state-dir", cluster_state_dir,
                          "The node's state (default ~/.local/share/quorum)");
  auto* init_cmd = cluster_cmd->add_subcommand("init", "Create a cluster; prints its join token last");
  init_cmd->add_flag("--force", cluster_force, "Replace the cluster this node already belongs to");
  auto* join_cmd =
      cluster_cmd->add_subcommand("join", "Join the cluster of a token from `quorum cluster init`");
  join_cmd->add_option("token", join_token,
                       "The join token; '-' or none reads it from standard input, which keeps it out of the "
                       "shell's history and of `ps`");
  join_cmd->add_option("--token-file", join_token_file, "Read the join token from this file");
  auto* show_cmd =
      cluster_cmd->add_subcommand("show", "Print this node's cluster (not its secret unless asked)");
  show_cmd->add_flag("--show-secret", show_secret, "Also print the join token, which carries the secret");
  show_cmd->add_flag("--json", cluster_json, "Print JSON");
  for (auto* sub : {init_cmd, join_cmd, show_cmd}) {
    sub->add_option("--state-dir", cluster_state_dir, "The node's state (default ~/.local/share/quorum)");
  }

  // ---- quorum relay / keys / usage ----
  std::string relay_state_dir, relay_url, relay_token, usage_from, usage_to, key_id;
  bool relay_json = false;
  cli::KeyOptions key_options;
  auto state_option = [&](CLI::App* sub) {
    sub->add_option("--state-dir", relay_state_dir, "The node's state (default ~/.local/share/quorum)");
  };
  auto* relay_cmd = app.add_subcommand("relay", "This node's relay: the way in from other networks.");
  relay_cmd->require_subcommand(1);
  auto* relay_join = relay_cmd->add_subcommand("join", "Enrol this node at a relay and keep a link to it");
  relay_join->add_option("url", relay_url, "The relay, http(s)://HOST[:PORT]")->required();
  relay_join->add_option("token", relay_token,
                         "The operator's enrolment token (the cluster's first node only)");
  auto* relay_show = relay_cmd->add_subcommand("show", "Print this node's relay");
  relay_show->add_flag("--json", relay_json, "Print JSON");
  auto* relay_leave = relay_cmd->add_subcommand("leave", "Stop using the relay");
  auto* keys_cmd = app.add_subcommand("keys", "API keys for the cluster's endpoint at the relay.");
  keys_cmd->require_subcommand(1);
  auto* keys_create = keys_cmd->add_subcommand("create", "Create a key; prints it once, as the last line");
  keys_create->add_option("name", key_options.name, "What the key is for")->required();
  keys_create->add_option("--models", key_options.models, "The only models it may use (default: all)")
      ->delimiter(',');
  keys_create->add_option("--rpm", key_options.rpm, "Requests per minute (0: no limit)");
  keys_create->add_option("--tpm", key_options.tpm, "Tokens per minute (0: no limit)");
  keys_create->add_option("--max-parallel", key_options.max_parallel, "Requests at once (0: no limit)");
  keys_create->add_option("--expires", key_options.expires, "30d, 12h, 45m or a Unix time (default: never)");
  auto* keys_list = keys_cmd->add_subcommand("list", "List the cluster's keys (never their secrets)");
  keys_list->add_flag("--json", relay_json, "Print JSON");
  auto* keys_revoke = keys_cmd->add_subcommand("revoke", "Revoke a key everywhere");
  keys_revoke->add_option("id", key_id, "The key's id")->required();
  auto* usage_cmd = app.add_subcommand("usage", "The cluster's usage per day, key, node and model");
  usage_cmd->add_option("--from", usage_from, "First day, YYYY-MM-DD (default: 29 days ago)");
  usage_cmd->add_option("--to", usage_to, "Last day, YYYY-MM-DD (default: today)");
  usage_cmd->add_flag("--json", relay_json, "Print JSON");
  for (auto* sub : {relay_join, relay_show, relay_leave, keys_create, keys_list, keys_revoke, usage_cmd}) {
    state_option(sub);
  }

  // ---- quorum app / quorum ui ----
  app::AppOptions app_options;
  auto* app_cmd =
      app.add_subcommand("app",
                         "Open the node's UI in a window, starting a node beside it when none runs (options "
                         "not listed here go to "
                         "that node, as for `quorum node`); without a display or WebKitGTK, in the browser");
  app_cmd->add_option("--port", app_options.port, "The node's loopback port")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app_cmd->allow_extras();
  int ui_port = app::kDefaultPort;
  auto* ui_cmd = app.add_subcommand("ui", "Open the running node's UI in the default browser");
  ui_cmd->add_option("--port", ui_port, "The node's loopback port")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  if (app_cmd->parsed()) {
    app_options.node_options = app_cmd->remaining();
    return app::run_app(app_options);
  }
  if (ui_cmd->parsed()) return app::run_ui(ui_port);
  if (trial_cmd->parsed()) {
    // Straight out once decided: the watchdog (a copy of the previous binary) has nothing to tear down.
    const int code = node::run_update_trial(trial);
    std::fflush(nullptr);
    ::_exit(code);
  }
  if (update_cmd->parsed()) return cli::run_update(update_options);

  if (relay_cmd->parsed() || keys_cmd->parsed() || usage_cmd->parsed()) {
    if (relay_state_dir.empty()) relay_state_dir = node::default_state_dir();
    if (relay_join->parsed()) return cli::run_relay_join(relay_state_dir, relay_url, relay_token);
    if (relay_show->parsed()) return cli::run_relay_show(relay_state_dir, relay_json);
    if (relay_leave->parsed()) return cli::run_relay_leave(relay_state_dir);
    if (keys_create->parsed()) return cli::run_keys_create(relay_state_dir, key_options);
    if (keys_list->parsed()) return cli::run_keys_list(relay_state_dir, relay_json);
    if (keys_revoke->parsed()) return cli::run_keys_revoke(relay_state_dir, key_id);
    return cli::run_usage(relay_state_dir, usage_from, usage_to, relay_json);
  }

  if (cluster_cmd->parsed()) {
    if (cluster_state_dir.empty()) cluster_state_dir = node::default_state_dir();
    if (init_cmd->parsed()) return cli::run_cluster_init(cluster_state_dir, cluster_force);
    if (join_cmd->parsed()) return cli::run_cluster_join(cluster_state_dir, join_token, join_token_file);
    return cli::run_cluster_show(cluster_state_dir, show_secret, cluster_json);
  }

  if (node_cmd->parsed()) {
    auto l = node::parse_listen(listen);
    if (!l) {
      std::cerr << "error: " << l.error().message << "\n";
      return 2;
    }
    config.listen_host = l->first;
    config.listen_port = l->second;
    for (const auto& text : engines) {
      auto spec = node::parse_engine_spec(text);
      if (!spec) {
        std::cerr << "error: " << spec.error().message << "\n";
        return 2;
      }
      config.engines.push_back(*spec);
    }
    config.autodetect = !no_autodetect;
    config.pass_through = !no_pass_through;
    if (autodetect_urls.empty()) {
      config.autodetect_candidates = node::default_autodetect_candidates();
    } else {
      for (const auto& text : autodetect_urls) {
        auto spec = node::parse_engine_spec(text);
        if (!spec) {
          std::cerr << "error: " << spec.error().message << "\n";
          return 2;
        }
        config.autodetect_candidates.push_back(*spec);
      }
    }
    for (const auto& text : peers) {
      auto peer = node::parse_peer(text);
      if (!peer) {
        std::cerr << "error: " << peer.error().message << "\n";
        return 2;
      }
      config.cluster.peers.push_back(*peer);
    }
    config.cluster.mdns = !no_mdns;
    config.cluster.heartbeat_interval =
        std::chrono::milliseconds(static_cast<int64_t>(heartbeat_interval * 1000));
    config.cluster.prune_after = std::chrono::milliseconds(static_cast<int64_t>(prune_after * 1000));
    config.keepalive_interval = std::chrono::seconds(std::max(1, keepalive));
    config.idle_timeout = std::chrono::seconds(std::max(1, idle_timeout));
    config.probe_interval = std::chrono::seconds(std::max(1, probe_interval));
    config.max_body_bytes = max_body_mb * 1024 * 1024;
    config.header_timeout = std::chrono::seconds(header_timeout);
    config.body_timeout = std::chrono::seconds(body_timeout);
    emb.enabled = !no_embedded;
    emb.idle_timeout =
        std::chrono::milliseconds(static_cast<int64_t>(std::max(0.0, model_idle_timeout) * 1000));
    if (!model_memory.empty()) {
      auto bytes = node::parse_byte_size(model_memory);
      if (!bytes) {
        std::cerr << "error: --model-memory: " << bytes.error().message << "\n";
        return 2;
      }
      emb.memory_budget = *bytes;
    }
    config.update.trial_timeout = std::chrono::seconds(update_trial_timeout);
    if (config.update.feed.empty() && !update::managed_by_package(update::running_executable())) {
      config.update.feed = std::string(update::default_update_feed());
    }
    return node::run_node(std::move(config));
  }
  if (chat_cmd->parsed()) return cli::run_chat(chat);
  if (models_cmd->parsed()) return cli::run_models(models_url, models_json);
  if (nodes_cmd->parsed()) return cli::run_nodes(nodes_url, nodes_json);
  return 2;
}
