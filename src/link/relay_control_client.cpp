#include "link/relay_control_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <ctime>

#include "cluster/crypto.h"
#include "cluster/enrol_key.h"
#include "cluster/membership.h"
#include "link/relay_auth.h"
#include "net/http_client.h"

namespace quorum::link {

namespace asio = boost::asio;
namespace json = boost::json;

Result<RelayReply> relay_call(const std::string& base, const std::string& method, const std::string& target,
                              const std::string& body, const cluster::SigningKey* sign_with,
                              const std::string& node_id) {
  asio::io_context io;
  std::optional<Result<RelayReply>> out;
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
    RelayReply reply{(*response)->status(), json::parse(*text, ec)};
    if (ec) reply.body = json::string(*text);
    out = std::move(reply);
  };
  asio::co_spawn(io, task(), asio::detached);
  io.run();
  if (!out) return ApiError::server(502, "no answer from " + url);
  return std::move(*out);
}

std::string relay_error_message(const RelayReply& reply) {
  if (reply.body.is_object()) {
    if (auto* e = reply.body.as_object().if_contains("error"); e && e->is_object()) {
      if (auto* m = e->as_object().if_contains("message"); m && m->is_string())
        return std::string(m->as_string());
    }
  }
  return "the relay answered " + std::to_string(reply.status);
}

Result<Enrolled> enrol_at_relay(const std::string& state_dir, const std::string& url,
                                const std::string& token) {
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    return ApiError::invalid_request("the relay URL must be http(s)://", "url");
  auto self = cluster::load_or_create_identity(state_dir);
  if (!self) return self.take_error();
  auto m = cluster::load_membership(state_dir);
  if (!m) return m.take_error();
  if (!*m)
    return ApiError::invalid_request("this node is in no cluster: `quorum cluster init` (or `join`) first");
  const auto& membership = **m;
  // The node's own key: kept when re-joining the same relay, new otherwise.
  auto existing = cluster::load_relay_membership(state_dir);
  std::optional<cluster::SigningKey> key;
  if (existing && *existing)
    key = cluster::SigningKey::from_seed(cluster::base64url_decode((*existing)->node_key_seed));
  if (!key) key = cluster::SigningKey::generate();
  const auto enrol = cluster::cluster_enrol_key(membership);
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const std::string message = enrol_message(membership.fingerprint(), self->id, key->public_key(), now);
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
  auto reply = relay_call(url, "POST", "/v1/relay/enrol", json::serialize(body), nullptr, "");
  if (!reply) return reply.take_error();
  if (reply->status != 200) {
    const int status = reply->status >= 400 && reply->status < 500 ? reply->status : 502;
    return ApiError{status, "invalid_request_error", relay_error_message(*reply), std::nullopt,
                    std::string("relay_refused")};
  }
  Enrolled out{self->name, ""};
  if (reply->body.is_object()) {
    if (auto* r = reply->body.as_object().if_contains("relay_id"); r && r->is_string())
      out.relay_id = r->as_string();
  }
  auto saved =
      cluster::save_relay_membership(state_dir, {url, cluster::base64url_encode(key->seed()), out.relay_id});
  if (!saved) return saved.take_error();
  return out;
}

}  // namespace quorum::link
