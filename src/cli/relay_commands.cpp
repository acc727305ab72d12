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
#include "net/http_client.h"

namespace quorum::cli {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

int fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

struct Reply {
  int status = 0;
  json::value body;
};

// One request to the relay, run to its end. `sign_with` set: signed as a control request of this node.
Result<Reply> call(const std::string& base, const std::string& method, const std::string& target,
                   const std::string& body, const cluster::SigningKey* sign_with,
                   const std::string& node_id) {
  asio::io_context io;
  std::optional<Result<Reply>> out;
  net::Headers headers;
  headers.add("Content-Type", "application/json");
  if (sign_with) {
    link::ControlAuth auth;
    auth.node_id = node_id;
    auth.unix_seconds = static_cast<int64_t>(std::time(nullptr));
    auth.nonce = cluster::random_hex(12);
    auth.signature =
        sign_with->sign(link::control_message(method, target, auth.unix_seconds, auth.nonce, body));
    headers.add("Authorization", link::control_authorization(auth));
  }
  std::string url = base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += target;
  // https:// is checked against the system's trust store, or the CA file the node's link also trusts (tests,
  // private CAs).
  net::ClientOptions options;
  if (const char* ca = std::getenv("QUORUM_RELAY_CA_FILE")) options.ca_file = ca;
  auto task = [&]() -> net::Task<void> {
    auto response = co_await net::http_request(method, url, headers, body, options);
    if (!response) {
      out = response.take_error();
      co_return;
    }
    auto text = co_await (*response)->read_all(size_t{16} << 20);
    if (!text) {
      out = text.take_error();
      co_return;
    }
    boost::system::error_code ec;
    Reply reply{(*response)->status(), json::parse(*text, ec)};
    if (ec) reply.body = json::string(*text);
    out = std::move(reply);
  };
  asio::co_spawn(io, task(), asio::detached);
  io.run();
  if (!out) return ApiError::server(502, "no answer from " + url);
  return std::move(*out);
}

std::string error_message(const Reply& reply) {
  if (reply.body.is_object()) {
    if (auto* e = reply.body.as_object().if_contains("error"); e && e->is_object()) {
      if (auto* m = e->as_object().if_contains("message"); m && m->is_string())
        return std::string(m->as_string());
    }
  }
  return "the relay answered " + std::to_string(reply.status);
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
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    return fail("the relay URL must be http(s)://");
  auto self = cluster::load_or_create_identity(state_dir);
  if (!self) return fail(self.error().message);
  auto m = cluster::load_membership(state_dir);
  if (!m) return fail(m.error().message);
  if (!*m) return fail("this node is in no cluster: `quorum cluster init` (or `join`) first");
  const auto& membership = **m;
  // The node's own key: kept when re-joining the same relay, new otherwise.
  auto existing = cluster::load_relay_membership(state_dir);
  std::optional<cluster::SigningKey> key;
  if (existing && *existing)
    key = cluster::SigningKey::from_seed(cluster::base64url_decode((*existing)->node_key_seed));
  if (!key) key = cluster::SigningKey::generate();
  const auto enrol = cluster::cluster_enrol_key(membership);
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const std::string message = link::enrol_message(membership.fingerprint(), self->id, key->public_key(), now);
  json::object body{{"cluster_id", membership.fingerprint()},
                    {"cluster_name", membership.fingerprint()},
                    {"node_id", self->id},
                    {"node_name", self->name},
                    {"time", now},
                    {"cluster_public_key", cluster::base64url_encode(enrol.public_key())},
                    {"node_public_key", cluster::base64url_encode(key->public_key())},
                    {"cluster_signature", cluster::base64url_encode(enrol.sign(message))},
                    {"node_signature", cluster::base64url_encode(key->sign(message))}};
  if (!token.empty()) body["token"] = token;
  auto reply = call(url, "POST", "/v1/relay/enrol", json::serialize(body), nullptr, "");
  if (!reply) return fail(reply.error().message);
  if (reply->status != 200) return fail(error_message(*reply));
  std::string relay_id;
  if (reply->body.is_object()) {
    if (auto* r = reply->body.as_object().if_contains("relay_id"); r && r->is_string())
      relay_id = r->as_string();
  }
  auto saved =
      cluster::save_relay_membership(state_dir, {url, cluster::base64url_encode(key->seed()), relay_id});
  if (!saved) return fail(saved.error().message);
  std::cout << "node '" << self->name << "' enrolled at " << url << " (relay " << relay_id
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
  auto reply = call(c->relay.url, "POST", "/v1/relay/keys", json::serialize(body), &*c->key, c->self.id);
  if (!reply) return fail(reply.error().message);
  if (reply->status != 200 || !reply->body.is_object()) return fail(error_message(*reply));
  const auto& o = reply->body.as_object();
  std::cout << "API key '" << options.name << "' (id " << json::value_to<std::string>(o.at("id"))
            << "); it is shown once, keep it now:\n"
            << json::value_to<std::string>(o.at("key")) << "\n";
  return 0;
}

int run_keys_list(const std::string& state_dir, bool as_json) {
  auto c = load_context(state_dir);
  if (!c) return fail(c.error().message);
  auto reply = call(c->relay.url, "GET", "/v1/relay/keys", "", &*c->key, c->self.id);
  if (!reply) return fail(reply.error().message);
  if (reply->status != 200) return fail(error_message(*reply));
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
  auto reply = call(c->relay.url, "DELETE", "/v1/relay/keys/" + id, "", &*c->key, c->self.id);
  if (!reply) return fail(reply.error().message);
  if (reply->status != 200) return fail(error_message(*reply));
  std::cout << "key " << id << " revoked\n";
  return 0;
}

int run_usage(const std::string& state_dir, const std::string& from, const std::string& to, bool as_json) {
  auto c = load_context(state_dir);
  if (!c) return fail(c.error().message);
  std::string target = "/v1/relay/usage";
  if (!from.empty()) target += "?from=" + from;
  if (!to.empty()) target += std::string(from.empty() ? "?" : "&") + "to=" + to;
  auto reply = call(c->relay.url, "GET", target, "", &*c->key, c->self.id);
  if (!reply) return fail(reply.error().message);
  if (reply->status != 200) return fail(error_message(*reply));
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
