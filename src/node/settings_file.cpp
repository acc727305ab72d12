#include "node/settings_file.h"

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cluster/membership.h"
#include "wire/json_fields.h"

namespace quorum::node {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

fs::path settings_path(const std::string& state_dir) {
  return fs::path(state_dir) / "settings.json";
}

}  // namespace

Result<NodeSettings> load_settings(const std::string& state_dir) {
  const fs::path path = settings_path(state_dir);
  std::ifstream in(path);
  if (!in) return NodeSettings{};
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(text.str(), ec);
  if (ec || !v.is_object())
    return ApiError::server(500, path.string() + " is not a JSON object; fix or remove it");
  const json::object& o = v.as_object();
  NodeSettings s;
  s.models_dir = wire::string_field(o, "models_dir");
  if (const json::value* engines = o.if_contains("engines"); engines && engines->is_array()) {
    for (const auto& e : engines->as_array()) {
      if (!e.is_object()) continue;
      auto spec = engine_from_page(wire::string_field(e.as_object(), "name"),
                                   wire::string_field(e.as_object(), "url"),
                                   wire::string_field(e.as_object(), "type"));
      if (!spec) return ApiError::server(500, path.string() + ": " + spec.error().message);
      s.engines.push_back(std::move(*spec));
    }
  }
  return s;
}

Status save_settings(const std::string& state_dir, const NodeSettings& settings) {
  json::array engines;
  for (const auto& e : settings.engines) {
    engines.push_back(json::object{{"name", e.name}, {"type", e.type}, {"url", e.url}});
  }
  json::object o{{"engines", std::move(engines)}, {"models_dir", settings.models_dir}};
  return cluster::write_file_atomically(settings_path(state_dir), json::serialize(o) + "\n", 0600);
}

void apply_settings(const NodeSettings& settings, NodeConfig& config) {
  for (const auto& e : settings.engines) {
    bool named = false;
    for (const auto& f : config.engines) named = named || f.name == e.name;
    if (!named) config.engines.push_back(e);
  }
  if (config.embedded.models_dir.empty()) config.embedded.models_dir = settings.models_dir;
}

Result<EngineSpec> engine_from_page(const std::string& name, const std::string& url,
                                    const std::string& type) {
  if (name.empty() || name.size() > 64)
    return ApiError::invalid_request("An engine needs a name (1 to 64 characters).", "name");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) {
      return ApiError::invalid_request("An engine's name has only letters, digits, '-', '_' and '.'.",
                                       "name");
    }
  }
  if (!type.empty() && type != "openai" && type != "ollama") {
    return ApiError::invalid_request("An engine's type is openai or ollama (or left empty to guess).",
                                     "type");
  }
  auto spec = parse_engine_spec(name + "=" + (type.empty() ? "" : type + ":") + url);
  if (!spec)
    return ApiError::invalid_request("The engine's URL must start with http:// (got '" + url + "').", "url");
  return spec;
}

}  // namespace quorum::node
