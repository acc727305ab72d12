#include "node/node_ui.h"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <filesystem>

#include "cluster/pasted_token.h"
#include "core/log.h"
#include "core/version.h"
#include "engines/llamacpp/llamacpp_backend.h"
#include "link/relay_control_client.h"
#include "node/api/cluster_view.h"
#include "node/cluster_node.h"
#include "node/engines_setup.h"
#include "node/node_update.h"
#include "node/relay_client.h"
#include "node/settings_file.h"
#include "wire/json_fields.h"

namespace quorum::node {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ApiError conflict(std::string message, std::string code) {
  return ApiError{409, "invalid_request_error", std::move(message), std::nullopt, std::move(code)};
}

// The UI's name for a registry state (docs/ui-api.md Node.state).
std::string ui_state(std::string_view registry_state) {
  if (registry_state == "reachable") return "online";
  return std::string(registry_state);
}

// After a request, while a page is open, the engines are asked again at once (at most twice a second), so
// that a model the request loaded shows as loaded now rather than at the engine watch's next round. Without a
// page nothing is asked: the engines are not polled for a view nobody has.
class RefreshAfterRequest final : public api::RequestObserver {
 public:
  RefreshAfterRequest(std::weak_ptr<ui::UiHub> hub, std::function<void()> refresh)
      : hub_(std::move(hub)), refresh_(std::move(refresh)) {}
  void request_done(const api::RequestRecord&) override {
    auto hub = hub_.lock();
    if (!hub || !hub->has_listeners()) return;
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    int64_t last = last_ms_.load();
    if (now - last < 500 || !last_ms_.compare_exchange_strong(last, now)) return;
    refresh_();
  }

 private:
  std::weak_ptr<ui::UiHub> hub_;
  std::function<void()> refresh_;
  std::atomic<int64_t> last_ms_{0};
};

json::object restarting() {
  return json::object{{"restarting", true}};
}

}  // namespace

NodeUi::NodeUi(NodeUiParts parts)
    : parts_(std::move(parts)), hub_(std::make_shared<ui::UiHub>(sources())), started_at_ms_(unix_ms_now()) {}

NodeUi::~NodeUi() = default;

ui::UiSources NodeUi::sources() {
  ui::UiSources s;
  s.node = [this] {
    return json::value(json::object{{"id", parts_.identity.id},
                                    {"name", parts_.identity.name},
                                    {"version", quorum::version()},
                                    {"listen", parts_.listen},
                                    {"state_dir", parts_.config.state_dir},
                                    {"started_at", started_at_ms_}});
  };
  s.nodes = [this] { return nodes_json(); };
  s.models = [this] { return models_json(); };
  s.engines = [this] { return engines_json(); };
  s.relay = [this] { return relay_json(); };
  s.cluster = [this] {
    if (!parts_.membership) return json::value(nullptr);
    return json::value(json::object{{"id", parts_.membership->cluster_id},
                                    {"fingerprint", parts_.membership->fingerprint()}});
  };
  s.settings = [this] { return settings_json(); };
  s.models_folder = [this] { return models_folder_json(); };
  s.update = [this] { return parts_.update ? parts_.update->status_json() : json::value(nullptr); };
  s.in_flight = [this] { return parts_.api.context().router.local_in_flight(); };
  return s;
}

void NodeUi::start() {
  auto hub = std::weak_ptr<ui::UiHub>(hub_);
  parts_.api.observe(std::make_unique<ui::UiRequestObserver>(hub));
  parts_.api.observe(std::make_unique<RefreshAfterRequest>(hub, parts_.refresh_engines));
  parts_.api.on_load([hub] {
    if (auto h = hub.lock()) h->load_changed();
  });
  parts_.registry.set_on_change([this] {
    notify(ui::UiPart::kEngines);
    notify(ui::UiPart::kModels);
    notify(ui::UiPart::kNodes);  // this node's own models and engines
    notify(ui::UiPart::kModelsFolder);
  });
  if (parts_.cluster) {
    cluster_changes_ = parts_.cluster->registry().subscribe([this](const cluster::RegistryChange&) {
      notify(ui::UiPart::kNodes);
      notify(ui::UiPart::kModels);
    });
  }
}

void NodeUi::relay_changed() {
  notify(ui::UiPart::kRelay);
}

void NodeUi::update_changed() {
  notify(ui::UiPart::kUpdate);
}

void NodeUi::notify(ui::UiPart part) {
  // One bit per part: a burst of changes (a node's first answer tells several) builds the part once.
  const unsigned bit = 1u << static_cast<unsigned>(part);
  if (dirty_->fetch_or(bit) & bit) return;
  boost::asio::post(parts_.executor, [hub = std::weak_ptr<ui::UiHub>(hub_), dirty = dirty_, bit, part] {
    dirty->fetch_and(~bit);
    if (auto h = hub.lock()) h->changed(part);
  });
}

json::value NodeUi::nodes_json() const {
  const api::ApiContext& context = parts_.api.context();
  json::array out;
  json::object self = api::self_json(context);
  self["self"] = true;
  self["state"] = "online";
  self["path"] = "self";
  self["last_seen_ms_ago"] = 0;
  out.push_back(std::move(self));
  if (parts_.cluster) {
    const auto now = cluster::RegistryClock::now();
    for (const auto& p : parts_.cluster->registry().snapshot()) {
      json::object peer = api::peer_json(p, now);
      peer["self"] = false;
      peer["state"] = ui_state(peer["state"].as_string());
      out.push_back(std::move(peer));
    }
  }
  return out;
}

json::value NodeUi::models_json() const {
  std::vector<engines::llamacpp::CatalogModel> files;
  if (parts_.embedded) files = parts_.embedded->files();
  json::array out;
  for (auto& m : api::cluster_models(parts_.api.context())) {
    json::array engines;
    for (const auto& e : m.engines) engines.push_back(json::value(e));
    json::value size = nullptr;
    bool embedded = false;
    for (const auto& f : files) {
      if (f.id == m.id) {
        size = f.size;
        embedded = parts_.embedded &&
                   std::find(m.engines.begin(), m.engines.end(), parts_.embedded->name()) != m.engines.end();
      }
    }
    out.push_back(json::object{{"id", m.id},
                               {"loaded", m.loaded},
                               {"nodes", std::move(m.nodes)},
                               {"engines", std::move(engines)},
                               {"size_bytes", size},
                               {"embedded", embedded}});
  }
  return out;
}

json::value NodeUi::engines_json() const {
  auto settings = load_settings(parts_.config.state_dir);
  json::array out;
  for (const auto& e : parts_.registry.status()) {
    bool removable = false;
    if (settings) {
      for (const auto& s : settings->engines) removable = removable || s.name == e.name;
    }
    json::array models;
    for (const auto& m : e.models) models.push_back(json::value(m.id));
    out.push_back(json::object{{"name", e.name},
                               {"type", e.type},
                               {"location", e.location},
                               {"autodetected", e.autodetected},
                               {"up", e.up},
                               {"last_error", e.last_error},
                               {"models", std::move(models)},
                               {"removable", removable}});
  }
  return out;
}

json::value NodeUi::relay_json() const {
  if (!parts_.membership) return nullptr;
  auto relay = cluster::load_relay_membership(parts_.config.state_dir);
  if (!relay || !*relay) return nullptr;
  const bool up = parts_.relay && parts_.relay->connected();
  return json::object{{"url", (*relay)->url},
                      {"state", up ? "connected" : "connecting"},
                      {"cluster_id", parts_.membership->fingerprint()},
                      {"node_id", parts_.identity.id},
                      {"last_error", ""}};
}

json::value NodeUi::settings_json() const {
  json::array engines;
  if (auto settings = load_settings(parts_.config.state_dir)) {
    for (const auto& e : settings->engines) {
      engines.push_back(json::object{{"name", e.name}, {"type", e.type}, {"url", e.url}});
    }
  }
  return json::object{
      {"name", parts_.identity.name},
      {"models_dir", parts_.embedded ? parts_.embedded->location() : parts_.config.embedded.models_dir},
      {"engines", std::move(engines)},
      {"autodetect", parts_.config.autodetect}};
}

json::value NodeUi::models_folder_json() const {
  json::array files;
  std::string path;
  if (parts_.embedded) {
    path = parts_.embedded->location();
    for (const auto& f : parts_.embedded->files()) {
      files.push_back(json::object{{"name", fs::path(f.path).filename().string()}, {"size_bytes", f.size}});
    }
  }
  return json::object{{"path", path}, {"files", std::move(files)}};
}

Result<json::object> NodeUi::run(const std::string& action, const json::object& body) {
  if (action == "node") return rename(body);
  if (action == "settings") return change_settings(body);
  if (action == "engines/add") return add_engine(body);
  if (action == "engines/remove") return remove_engine(body);
  if (action == "models/load") return load_model(body, true);
  if (action == "models/unload") return load_model(body, false);
  if (action.starts_with("cluster/")) return cluster_action(action.substr(8), body);
  if (action.starts_with("relay/")) return relay_action(action.substr(6), body);
  if (action == "update/check" && parts_.update) return parts_.update->check();
  if (action == "update/apply" && parts_.update) return parts_.update->apply();
  return ApiError::not_found("The node's page has no action '" + action + "'.", std::nullopt,
                             std::string("unknown_url"));
}

Result<json::object> NodeUi::rename(const json::object& body) {
  const std::string name = wire::string_field(body, "name");
  if (name == parts_.identity.name) return json::object{};
  cluster::NodeIdentity identity = parts_.identity;
  if (auto renamed = cluster::rename_node(parts_.config.state_dir, identity, name); !renamed) {
    ApiError e = renamed.take_error();
    e.status = 400;
    e.type = "invalid_request_error";
    e.param = "name";
    return e;
  }
  parts_.restart("renamed to " + name, {"--name"});
  return restarting();
}

Result<json::object> NodeUi::change_settings(const json::object& body) {
  if (!body.contains("models_dir")) return json::object{};
  const std::string dir = wire::string_field(body, "models_dir");
  if (!dir.empty() && !fs::path(dir).is_absolute()) {
    return ApiError::invalid_request("The models folder must be an absolute path.", "models_dir");
  }
  std::error_code ec;
  if (!dir.empty() && !fs::is_directory(dir, ec)) {
    return ApiError::invalid_request("There is no folder " + dir + ".", "models_dir");
  }
  auto settings = load_settings(parts_.config.state_dir);
  if (!settings) return settings.take_error();
  settings->models_dir = dir;
  if (auto saved = save_settings(parts_.config.state_dir, *settings); !saved) return saved.take_error();
  parts_.restart("models folder changed", {"--models-dir"});
  return restarting();
}

Result<json::object> NodeUi::add_engine(const json::object& body) {
  auto spec = engine_from_page(wire::string_field(body, "name"), wire::string_field(body, "url"),
                               wire::string_field(body, "type"));
  if (!spec) return spec.take_error();
  if (parts_.registry.contains(spec->name)) {
    return conflict("This node already has an engine named '" + spec->name + "'.", "engine_exists");
  }
  auto settings = load_settings(parts_.config.state_dir);
  if (!settings) return settings.take_error();
  settings->engines.push_back(*spec);
  if (auto saved = save_settings(parts_.config.state_dir, *settings); !saved) return saved.take_error();
  parts_.registry.add(make_backend(*spec, parts_.config), /*autodetected=*/false);
  log::info("engine '" + spec->name + "' (" + spec->type + ") at " + spec->url +
            ", added from the node's page");
  parts_.refresh_engines();
  return json::object{{"engine", spec->name}};
}

Result<json::object> NodeUi::remove_engine(const json::object& body) {
  const std::string name = wire::string_field(body, "name");
  auto settings = load_settings(parts_.config.state_dir);
  if (!settings) return settings.take_error();
  const auto removed = std::erase_if(settings->engines, [&](const EngineSpec& e) { return e.name == name; });
  if (removed == 0) {
    return parts_.registry.contains(name)
               ? conflict("The engine '" + name +
                              "' was not added in Settings (it is found by itself, given by "
                              "a flag, or built in), so it cannot be removed here.",
                          "engine_not_removable")
               : ApiError::not_found("This node has no engine named '" + name + "'.", "name");
  }
  if (auto saved = save_settings(parts_.config.state_dir, *settings); !saved) return saved.take_error();
  parts_.registry.remove(name);
  log::info("engine '" + name + "' removed from the node's page");
  return json::object{};
}

Result<json::object> NodeUi::load_model(const json::object& body, bool load) {
  if (!parts_.embedded) return conflict("This node runs without its embedded engine.", "no_embedded_engine");
  const std::string id = wire::string_field(body, "id");
  if (id.empty()) return ApiError::invalid_request("Name the model to load or unload.", "id");
  Status done = load ? parts_.embedded->load(id) : parts_.embedded->unload(id);
  if (!done) return done.take_error();
  parts_.refresh_engines();
  return json::object{{"id", id}};
}

Result<json::object> NodeUi::cluster_action(const std::string& action, const json::object& body) {
  const std::string& dir = parts_.config.state_dir;
  if (action == "token") {
    if (!parts_.membership) return conflict("This node is in no cluster.", "no_cluster");
    return json::object{{"token", cluster::encode_join_token(*parts_.membership)}};
  }
  if (action == "init") {
    if (parts_.membership) {
      return conflict("This node is already in a cluster; leave it first.", "already_in_cluster");
    }
    if (auto saved = cluster::save_membership(dir, cluster::new_cluster()); !saved) return saved.take_error();
    parts_.restart("created a cluster", {});
    return restarting();
  }
  if (action == "join") {
    auto m = cluster::decode_join_token(cluster::trim_pasted_token(wire::string_field(body, "token")));
    if (!m) {
      ApiError e = m.take_error();
      e.param = "token";
      return e;
    }
    if (parts_.membership && parts_.membership->cluster_id == m->cluster_id) return json::object{};
    if (auto saved = cluster::save_membership(dir, *m); !saved) return saved.take_error();
    // A relay belongs to the cluster left behind.
    if (auto forgot = cluster::forget_relay_membership(dir); !forgot) return forgot.take_error();
    parts_.restart("joined cluster " + m->cluster_id, {});
    return restarting();
  }
  if (action == "leave") {
    if (!parts_.membership) return conflict("This node is in no cluster.", "no_cluster");
    if (auto forgot = cluster::forget_relay_membership(dir); !forgot) return forgot.take_error();
    if (auto forgot = cluster::forget_membership(dir); !forgot) return forgot.take_error();
    std::error_code ec;
    fs::remove(fs::path(dir) / "keys.json", ec);
    parts_.restart("left the cluster", {});
    return restarting();
  }
  return ApiError::not_found("The node's page has no action 'cluster/" + action + "'.", std::nullopt,
                             std::string("unknown_url"));
}

Result<json::object> NodeUi::relay_action(const std::string& action, const json::object& body) {
  if (action == "join") {
    if (!parts_.membership) {
      return conflict("Create or join a cluster first: a relay serves a cluster.", "no_cluster");
    }
    auto enrolled = link::enrol_at_relay(parts_.config.state_dir, wire::string_field(body, "url"),
                                         wire::string_field(body, "token"));
    if (!enrolled) return enrolled.take_error();
    notify(ui::UiPart::kRelay);
    return json::object{{"relay_id", enrolled->relay_id}};
  }
  if (action == "leave") {
    if (auto forgot = cluster::forget_relay_membership(parts_.config.state_dir); !forgot) {
      return forgot.take_error();
    }
    notify(ui::UiPart::kRelay);
    return json::object{};
  }
  return ApiError::not_found("The node's page has no action 'relay/" + action + "'.", std::nullopt,
                             std::string("unknown_url"));
}

}  // namespace quorum::node
