#include "cli/relay_commands.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "cluster/crypto.h"
#include "cluster/enrol_key.h"
#include "cluster/membership.h"
#include "link/relay_auth.h"
#include "link/relay_control_client.h"
#include "net/http_client.h"

namespace quorum::cli {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

int fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

struct Context {
  cluster::NodeIdentity self;
  cluster::Membership membership;
  cluster::RelayMembership relay;
  std::optional<cluster::SigningKey> key;
};

Result<Context> load_context(const std::string& state_dir) {
  auto self = cluster::load_or_create_identity(state_dir);
  if (!self) return self.take_error();
  auto m = cluster::load_membership(state_dir);
  if (!m) return m.take_error();
  if (!*m) return ApiError::invalid_request("this node is in no cluster: `quorum cluster init` first");
  auto r = cluster::load_relay_membership(state_dir);
  if (!r) return r.take_error();
  if (!*r) return ApiError::invalid_request("this node has no relay: `quorum relay join URL TOKEN` first");
  Context c{std::move(*self), **m, **r,
            cluster::SigningKey::from_seed(cluster::base64url_decode((*r)->node_key_seed))};
  if (!c.key) return ApiError::server(500, "relay.json holds no usable key: `quorum relay join` again");
  return c;
}

std::string when(const json::value& v) {
  if (!v.is_int64()) return "-";
  std::time_t t = static_cast<std::time_t>(v.as_int64());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", std::gmtime(&t));
  return buf;
}

std::optional<int64_t> parse_expiry(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const char unit = text.back();
  try {
    if (unit == 'd' || unit == 'h' || unit == 'm') {
      const int64_t n = std::stoll(text.substr(0, text.size() - 1));
      const int64_t scale = unit == 'd' ? 86400 : unit == 'h' ? 3600 : 60;
      return static_cast<int64_t>(std::time(nullptr)) + n * scale;
    }
    return std::stoll(text);
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

int run_relay_join(const std::string& state_dir, const std::string& url, const std::string& token) {
  auto enrolled = link::enrol_at_relay(state_dir, url, token);
  if (!enrolled) return fail(enrolled.error().message);
  std::cout << "node '" << enrolled->node_name << "' enrolled at " << url << " (relay " << enrolled->relay_id
            << "); a running node connects within seconds.\n";
  return 0;
}

int run_relay_show(const std::string& state_dir, bool as_json) {
  auto r = cluster::load_relay_membership(state_dir);
  if (!r) return fail(r.error().message);
  if (as_json) {
    json::object o;
    o["url"] = *r ? json::value((*r)->url) : json::value(nullptr);
    o["relay_id"] = *r ? json::value((*r)->relay_id) : json::value(nullptr);
    std::cout << json::serialize(o) << "\n";
    return 0;
  }
  if (!*r) {
    std::cout << "relay: none (`quorum relay join URL TOKEN` joins one)\n";
    return 0;
  }
  std::cout << "relay:    " << (*r)->url << "\nrelay id: " << (*r)->relay_id << "\n";
  return 0;
}

int run_relay_leave(const std::string& state_dir) {
  auto done = cluster::forget_relay_membership(state_dir);
  if (!done) return fail(done.error().message);
  std::cout << "relay link removed; a running node disconnects within seconds.\n";
  return 0;
}

int run_keys_create(const std::string& state_dir, const KeyOptions& options) {
  auto c = load_context(state_dir);
  if (!c) return fail(c.error().message);
  json::array models;
  for (const auto& m : options.models) models.emplace_back(m);
  json::object body{{"name", options.name},
                    {"models", models},
                    {"rpm", options.rpm},
                    {"tpm", options.tpm},
                    {"max_parallel", options.max_parallel}};
  if (auto expires = parse_expiry(options.expires)) {
    if (*expires < 0) return fail("--expires takes 30d, 12h, 45m or a Unix time");
    body["expires_at"] = *expires;
  }
  auto reply =
      link::relay_call(c->relay.url, "POST", "/v1/relay/keys", json::serialize(body), &*c->key, c->self.id);
  if (!reply) return fail(reply.error().message);
  if (reply->status != 200 || !reply->body.is_object()) return fail(link::relay_error_message(*reply));
  const auto& o = reply->body.as_object();
  std::cout << "API key '" << options.name << "' (id " << json::value_to<std::string>(o.at("id"))
            << "); it is shown once, keep it now:\n"
            << json::value_to<std::string>(o.at("key")) << "\n";
  return 0;
}

int run_keys_list(const std::string& state_dir, bool as_json) {
  auto c = load_context(state_dir);
  if (!c) return fail(c.error().message);
  auto reply = link::relay_call(c->relay.url, "GET", "/v1/relay/keys", "", &*c->key, c->self.id);
  if (!reply) return fail(reply.error().message);
  if (reply->status != 200) return fail(link::relay_error_message(*reply));
  if (as_json) {
    std::cout << json::serialize(reply->body) << "\n";
    return 0;
  }
  std::cout << "id            name              models  rpm  tpm  parallel  expires           revoked\n";
  for (const auto& k : reply->body.as_object().at("data").as_array()) {
    const auto& o = k.as_object();
    std::string models;
    for (const auto& m : o.at("models").as_array())
      models += (models.empty() ? "" : ",") + std::string(m.as_string());
    std::cout << o.at("id").as_string() << "  " << o.at("name").as_string() << "  "
              << (models.empty() ? "*" : models) << "  " << o.at("rpm") << "  " << o.at("tpm") << "  "
              << o.at("max_parallel") << "  " << when(o.at("expires_at")) << "  " << when(o.at("revoked_at"))
              << "\n";
  }
  return 0;
}

int run_keys_revoke(const std::string& state_dir, const std::string& id) {
  auto c = load_context(state_dir);
  if (!c) return fail(c.error().message);
  auto reply = link::relay_call(c->relay.url, "DELETE", "/v1/relay/keys/" + id, "", &*c->key, c->self.id);
  if (!reply) return fail(reply.error().message);
  if (reply->status != 200) return fail(link::relay_error_message(*reply));
  std::cout << "key " << id << " revoked\n";
  return 0;
}

int run_usage(const std::string& state_dir, const std::string& from, const std::string& to, bool as_json) {
  auto c = load_context(state_dir);
  if (!c) return fail(c.error().message);
  std::string target = "/v1/relay/usage";
  if (!from.empty()) target += "?from=" + from;
  if (!to.empty()) target += std::string(from.empty() ? "?" : "&") + "to=" + to;
  auto reply = link::relay_call(c->relay.url, "GET", target, "", &*c->key, c->self.id);
  if (!reply) return fail(reply.error().message);
  if (reply->status != 200) return fail(link::relay_error_message(*reply));
  if (as_json) {
    std::cout << json::serialize(reply->body) << "\n";
    return 0;
  }
  std::cout << "day         key           node                              model  requests  failed  prompt  "
               "completion\n";
  for (const auto& row : reply->body.as_object().at("data").as_array()) {
    const auto& o = row.as_object();
    std::cout << o.at("day").as_string() << "  " << o.at("key_id").as_string() << "  "
              << o.at("node_id").as_string() << "  " << o.at("model").as_string() << "  " << o.at("requests")
              << "  " << o.at("failed") << "  " << o.at("prompt_tokens") << "  " << o.at("completion_tokens")
              << "\n";
  }
  return 0;
}

}  // namespace quorum::cli
