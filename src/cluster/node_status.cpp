#include "cluster/node_status.h"

#include <algorithm>
#include <boost/json.hpp>

namespace quorum::cluster {

namespace json = boost::json;

namespace {

constexpr size_t kMaxModels = 10000;
constexpr size_t kMaxEngines = 256;
constexpr size_t kMaxText = 512;

ApiError bad(const std::string& what) {
  return ApiError::server(502, "The peer sent a malformed status: " + what + ".");
}

// The string at `key`, or nullopt when absent, not a string or not valid_status_text.
std::optional<std::string> text(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string() || !valid_status_text(it->value().get_string())) {
    return std::nullopt;
  }
  return std::string(it->value().get_string());
}

std::optional<int64_t> integer(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64() && it->value().get_uint64() <= INT64_MAX) {
    return static_cast<int64_t>(it->value().get_uint64());
  }
  return std::nullopt;
}

}  // namespace

bool valid_status_text(std::string_view text) {
  if (text.size() > kMaxText) return false;
  return std::none_of(text.begin(), text.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

NodeStatus shareable_status(NodeStatus status, std::vector<std::string>& left_out) {
  size_t kept = 0;
  std::erase_if(status.models, [&](const ModelState& m) {
    if (!m.id.empty() && valid_status_text(m.id) && kept < kMaxModels) {
      ++kept;
      return false;
    }
    left_out.push_back(m.id);
    return true;
  });
  std::erase_if(status.engines, [&](const std::string& e) {
    if (e.size() <= kMaxText) return false;
    left_out.push_back(e);
    return true;
  });
  if (status.engines.size() > kMaxEngines) status.engines.resize(kMaxEngines);
  return status;
}

json::object status_to_json(const NodeStatus& s) {
  json::array models;
  for (const auto& m : s.models) {
    models.push_back(
        json::object{{"id", m.id}, {"loaded", m.loaded}, {"created", m.created}, {"owned_by", m.owned_by}});
  }
  json::array engines;
  for (const auto& e : s.engines) engines.push_back(json::value(e));
  return json::object{{"id", s.id},
                      {"name", s.name},
                      {"version", s.version},
                      {"port", s.port},
                      {"models", std::move(models)},
                      {"engines", std::move(engines)},
                      {"in_flight", s.in_flight},
                      {"capacity", s.capacity}};
}

Result<NodeStatus> parse_node_status(std::string_view body) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return bad("not a JSON object");
  const auto& o = v.get_object();
  NodeStatus s;
  auto id = text(o, "id");
  if (!id || id->empty()) return bad("no node id");
  s.id = std::move(*id);
  s.name = text(o, "name").value_or(s.id);
  s.version = text(o, "version").value_or("");
  auto port = integer(o, "port");
  if (!port || *port <= 0 || *port > 65535) return bad("no valid port");
  s.port = static_cast<unsigned short>(*port);
  auto in_flight = integer(o, "in_flight");
  auto capacity = integer(o, "capacity");
  if (!in_flight || *in_flight < 0 || *in_flight > 1'000'000) return bad("no valid in_flight");
  if (!capacity || *capacity < 1 || *capacity > 1'000'000) return bad("no valid capacity");
  s.in_flight = static_cast<int>(*in_flight);
  s.capacity = static_cast<int>(*capacity);
  if (auto it = o.find("models"); it != o.end()) {
    if (!it->value().is_array() || it->value().get_array().size() > kMaxModels) return bad("models");
    for (const auto& m : it->value().get_array()) {
      // A model this node cannot use is skipped: the rest of the peer's models are still worth routing to.
      if (!m.is_object()) continue;
      ModelState model;
      auto model_id = text(m.get_object(), "id");
      if (!model_id || model_id->empty()) continue;
      model.id = std::move(*model_id);
      if (auto l = m.get_object().find("loaded"); l != m.get_object().end() && l->value().is_bool()) {
        model.loaded = l->value().get_bool();
      }
      model.created = integer(m.get_object(), "created").value_or(0);
      model.owned_by = text(m.get_object(), "owned_by").value_or("");
      s.models.push_back(std::move(model));
    }
  }
  if (auto it = o.find("engines"); it != o.end()) {
    if (!it->value().is_array() || it->value().get_array().size() > kMaxEngines) return bad("engines");
    for (const auto& e : it->value().get_array()) {
      if (!e.is_string() || e.get_string().size() > kMaxText) return bad("an engine name");
      s.engines.emplace_back(e.get_string());
    }
  }
  return s;
}

}  // namespace quorum::cluster
