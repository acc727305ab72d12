#include "relay/relay_api.h"

#include <algorithm>
#include <boost/json.hpp>

#include "auth/api_key.h"
#include "cluster/crypto.h"
#include "cluster/signing_key.h"
#include "core/log.h"
#include "link/relay_auth.h"
#include "relay/dashboard_page.h"
#include "relay/dashboard_wire.h"
#include "relay/mesh.h"
#include "relay/proxy.h"
#include "router/schedule.h"
#include "wire/json_fields.h"
#include "wire/stream_writer.h"

namespace quorum::relay {

namespace json = boost::json;

namespace {

constexpr auto kPendingTtl = std::chrono::seconds(30);

// (Callers name what they pass: g++ 12 mishandles temporaries in a co_await expression.)
net::Task<void> send_json(net::ResponseWriter& writer, int status, const json::value& body) {
  net::Headers headers;
  headers.add("Content-Type", "application/json");
  std::string text = json::serialize(body);
  co_await writer.send(status, headers, std::move(text));
}

net::Task<void> send_error(net::ResponseWriter& writer, const ApiError& error, const net::Headers& extra) {
  net::Headers headers = extra;
  headers.add("Content-Type", "application/json");
  std::string text = wire::error_body(error);
  co_await writer.send(error.status, headers, std::move(text));
}

net::Task<void> send_error(net::ResponseWriter& writer, const ApiError& error) {
  const net::Headers none;
  co_await send_error(writer, error, none);
}

ApiError bad_key(std::string message) {
  return ApiError{401, "invalid_request_error", std::move(message), std::nullopt, "invalid_api_key"};
}

ApiError model_not_found(const std::string& model) {
  return ApiError::not_found("The model '" + model + "' does not exist or you do not have access to it.",
                             "model", "model_not_found");
}

// The request helpers the dashboard's API uses too (dashboard_wire.h).
using dashboard_wire::body_object;
using dashboard_wire::path_of;
using dashboard_wire::text_of;
using dashboard_wire::usage_json;

// Text fields of the public and control APIs: at most this many bytes unless a call says otherwise.
constexpr size_t kMaxFieldBytes = 512;

json::object key_json(const ApiKey& k) {
  json::array models;
  for (const auto& m : k.models) models.emplace_back(m);
  json::object o{{"id", k.id},
                 {"name", k.name},
                 {"models", models},
                 {"rpm", k.limits.rpm},
                 {"tpm", k.limits.tpm},
                 {"max_parallel", k.limits.max_parallel},
                 {"created_at", k.created_at}};
  o["expires_at"] = k.expires_at ? json::value(*k.expires_at) : json::value(nullptr);
  o["revoked_at"] = k.revoked_at ? json::value(*k.revoked_at) : json::value(nullptr);
  o["last_used_at"] = k.last_used_at ? json::value(*k.last_used_at) : json::value(nullptr);
  return o;
}

}  // namespace

RelayApi::RelayApi(Store& store, NodeHub& hub, std::string relay_id)
    : store_(store),
      hub_(hub),
      relay_id_(std::move(relay_id)),
      dashboard_(store, hub, events_),
      control_nonces_(100000, std::chrono::minutes(11)) {}

net::Task<void> RelayApi::handle(net::HttpRequest& request, net::ResponseWriter& writer) {
  const auto path = path_of(request.target);
  if (path == "/health" || path == "/healthz") {
    const json::value answer =
        json::object{{"status", "ok"}, {"relay_id", relay_id_}, {"nodes", hub_.connected()}};
    co_await send_json(writer, 200, answer);
  } else if (path == "/metrics") {
    co_await metrics(writer);
  } else if (path == "/v1/relay/enrol" && request.method == "POST") {
    co_await enrol(request, writer);
  } else if (path.starts_with("/v1/relay/")) {
    co_await control(request, writer);
  } else if (path == "/v1/models" || path == "/v1/chat/completions" || path == "/v1/completions" ||
             path == "/v1/embeddings") {
    co_await public_api(request, writer);
  } else if (path == "/api" || path.starts_with("/api/")) {
    bool from_relay = false;
    if (mesh) {
      const Mesh::Inbound from = co_await mesh->inbound(request, writer);
      if (from == Mesh::Inbound::kRefused) co_return;
      from_relay = from == Mesh::Inbound::kFromRelay;
    }
    co_await dashboard_.handle(request, writer, from_relay);
  } else if ((request.method == "GET" || request.method == "HEAD") && !path.starts_with("/v1/") &&
             path != "/v1" && !path.starts_with("/link")) {
    const page::PageFile file = page::dashboard_file(page::embedded_assets(), path);
    net::Headers headers = page::headers_for(file);
    std::string body = file.body;
    co_await writer.send(file.status, headers, std::move(body));
  } else {
    const ApiError refusal =
        ApiError::not_found("Unknown path " + std::string(path) + ".", std::nullopt, "unknown_url");
    co_await send_error(writer, refusal);
  }
}

net::Task<void> RelayApi::public_api(net::HttpRequest& request, net::ResponseWriter& writer) {
  const std::string path(path_of(request.target));
  const bool is_get = path == "/v1/models";
  if (is_get != (request.method == "GET" || request.method == "HEAD")) {
    const ApiError refusal =
        ApiError{405, "invalid_request_error", "Method not allowed.", std::nullopt, "method_not_allowed"};
    co_await send_error(writer, refusal);
    co_return;
  }
  if (mesh) {
    const bool routed = co_await mesh->route(request, writer);  // forwarded to the cluster's home relay
    if (routed) co_return;
  }
  // The key.
  std::string_view authorization = request.headers.get("Authorization");
  if (authorization.size() < 7 || !net::iequals(authorization.substr(0, 7), "Bearer ")) {
    const ApiError refusal = bad_key("Missing API key: send it as `Authorization: Bearer qk_…`.");
    co_await send_error(writer, refusal);
    co_return;
  }
  auto check = co_await store_.check_key(authorization.substr(7));
  if (!check) {
    const ApiError& refusal = check.error();
    co_await send_error(writer, refusal);
    co_return;
  }
  if (check->verdict != KeyVerdict::ok) {
    const ApiError refused =
        check->verdict == KeyVerdict::revoked ? bad_key("This API key was revoked.")
        : check->verdict == KeyVerdict::expired
            ? bad_key("This API key has expired.")
            : bad_key("Incorrect API key provided: " + api_key::redacted(authorization.substr(7)) + ".");
    co_await send_error(writer, refused);
    co_return;
  }
  const ApiKey& key = *check->key;
  co_await store_.touch_key(key.id, unix_now());

  if (is_get) {
    json::array data;
    std::vector<std::string> seen;
    for (const auto& node : hub_.nodes_of(key.cluster_id)) {
      for (const auto& m : node->status.models) {
        if (!key.allows(m.id) || std::find(seen.begin(), seen.end(), m.id) != seen.end()) continue;
        seen.push_back(m.id);
        data.push_back(json::object{{"id", m.id},
                                    {"object", "model"},
                                    {"created", m.created},
                                    {"owned_by", m.owned_by.empty() ? node->name : m.owned_by}});
      }
    }
    const json::value answer = json::object{{"object", "list"}, {"data", data}};
    co_await send_json(writer, 200, answer);
    co_return;
  }

  // The model, and the only thing read of the body.
  const auto body = body_object(request.body);
  if (!body) {
    const ApiError refusal = ApiError::invalid_request("We could not parse the JSON body of your request.");
    co_await send_error(writer, refusal);
    co_return;
  }
  const std::string model = text_of(*body, "model", kMaxFieldBytes);
  if (model.empty()) {
    const ApiError refusal = ApiError::invalid_request("You must provide a model parameter.", "model");
    co_await send_error(writer, refusal);
    co_return;
  }
  if (!key.allows(model)) {
    const ApiError refusal = model_not_found(model);
    co_await send_error(writer, refusal);
    co_return;
  }

  auto verdict = admission_.admit(key.id, key.limits, RateClock::now());
  if (auto* refusal = std::get_if<Refusal>(&verdict)) {
    ++refused_total_;
    net::Headers h;
    h.add("Retry-After", std::to_string(refusal->retry_after));
    const ApiError limited{429, "requests",
                           "Rate limit reached for this API key (" + std::string(limit_name(refusal->limit)) +
                               "); try again in " + std::to_string(refusal->retry_after) + " s.",
                           std::nullopt, "rate_limit_exceeded"};
    co_await send_error(writer, limited, h);
    co_return;
  }
  ++requests_total_;
  ProxyRequest proxied{request.method,
                       request.target,
                       std::move(request.body),
                       std::string(request.headers.get("Content-Type")),
                       key.id,
                       "relay-" + cluster::random_hex(12)};
  pending_[proxied.request_id] =
      Pending{key.id, std::move(std::get<KeyAdmission::Ticket>(verdict)), std::nullopt, {}};
  // However this request ends from here (served, refused by every holder, no holder at all, the client
  // gone, the coroutine destroyed), its parallel place is given back.
  struct SettleAtEnd {
    RelayApi& api;
    std::string request_id;
    ~SettleAtEnd() { api.settle(request_id); }
  } settle_at_end{*this, proxied.request_id};

  // Holders: warm first, then the least loaded (router/schedule.h).
  auto holders = hub_.holders(key.cluster_id, model);
  std::vector<router::RouteCandidate> candidates;
  for (const auto& h : holders) {
    bool loaded = false;
    for (const auto& m : h->status.models) loaded = loaded || (m.id == model && m.loaded);
    candidates.push_back(
        {false, loaded, std::max(h->status.in_flight, h->relayed), std::max(h->status.capacity, 1)});
  }
  ApiError last = model_not_found(model);
  int tries = 0;
  bool answered = false;
  for (size_t index : router::schedule(candidates)) {
    if (tries++ == kMaxTries) break;
    auto outcome = co_await proxy_to_node(holders[index], proxied, writer, last);
    if (outcome != TryOutcome::kRetry) {
      answered = true;
      break;
    }
    log::info("relay: " + proxied.request_id + " on node '" + log::printable(holders[index]->name) +
              "' failed before its answer: " + log::printable(last.message));
  }
  if (!answered) co_await send_error(writer, last);
}

void RelayApi::usage_reported(const std::string& request_id, uint64_t tokens) {
  auto it = pending_.find(request_id);
  if (it == pending_.end()) return;  // not a request of this relay, or its usage came too late
  if (it->second.ticket) {
    it->second.tokens = tokens;  // still running here: charged when it ends
    return;
  }
  admission_.charge(it->second.key_id, tokens, RateClock::now());
  pending_.erase(it);
}

void RelayApi::settle(const std::string& request_id) {
  const auto now = RateClock::now();
  auto it = pending_.find(request_id);
  if (it != pending_.end() && it->second.ticket) {
    it->second.ticket->finish(it->second.tokens.value_or(0), now);
    if (it->second.tokens) {
      pending_.erase(it);
    } else {
      it->second.ticket.reset();  // its usage is still to come
      it->second.ended = now;
    }
  }
  // Entries whose usage never came are dropped, at most once a second (not a walk per request); only ended
  // requests expire: a stream that runs for minutes keeps its ticket (and its parallel place).
  if (now - last_sweep_ < std::chrono::seconds(1)) return;
  last_sweep_ = now;
  for (auto p = pending_.begin(); p != pending_.end();) {
    p = !p->second.ticket && now - p->second.ended > kPendingTtl ? pending_.erase(p) : std::next(p);
  }
}

net::Task<void> RelayApi::enrol(net::HttpRequest& request, net::ResponseWriter& writer) {
  const auto body = body_object(request.body);
  if (!body) {
    const ApiError refusal = ApiError::invalid_request("The body must be a JSON object.");
    co_await send_error(writer, refusal);
    co_return;
  }
  const auto& o = *body;
  const std::string cluster_id = text_of(o, "cluster_id", 128);
  const std::string node_id = text_of(o, "node_id", 128);
  const std::string node_name = text_of(o, "node_name", 256);
  const std::string cluster_name = text_of(o, "cluster_name", 256);
  const std::string token = text_of(o, "token", 256);
  const std::string enrol_key = cluster::base64url_decode(text_of(o, "cluster_public_key", kMaxFieldBytes));
  const std::string node_key = cluster::base64url_decode(text_of(o, "node_public_key", kMaxFieldBytes));
  const std::string cluster_sig = cluster::base64url_decode(text_of(o, "cluster_signature", kMaxFieldBytes));
  const std::string node_sig = cluster::base64url_decode(text_of(o, "node_signature", kMaxFieldBytes));
  int64_t at = 0;
  if (auto* t = o.if_contains("time"); t && t->is_int64()) at = t->as_int64();
  if (cluster_id.empty() || node_id.empty() || enrol_key.size() != 32 || node_key.size() != 32) {
    const ApiError refusal = ApiError::invalid_request(
        "An enrolment needs cluster_id, node_id, "
        "cluster_public_key and node_public_key.");
    co_await send_error(writer, refusal);
    co_return;
  }
  if (std::abs(at - unix_now()) > link::kMaxClockSkewSeconds) {
    const ApiError refusal =
        ApiError{401, "invalid_request_error", "The enrolment's time is too far from the relay's clock.",
                 std::nullopt, "clock_skew"};
    co_await send_error(writer, refusal);
    co_return;
  }
  const std::string message = link::enrol_message(cluster_id, node_id, node_key, at);
  if (!cluster::verify_signature(enrol_key, message, cluster_sig) ||
      !cluster::verify_signature(node_key, message, node_sig)) {
    const ApiError refusal = ApiError{401, "invalid_request_error", "The enrolment's signatures do not hold.",
                                      std::nullopt, "bad_signature"};
    co_await send_error(writer, refusal);
    co_return;
  }
  auto known = co_await store_.cluster(cluster_id);
  if (!known) {
    const ApiError& refusal = known.error();
    co_await send_error(writer, refusal);
    co_return;
  }
  if (*known) {
    if ((*known)->revoked_at || !cluster::constant_time_equal((*known)->enrol_public_key, enrol_key)) {
      const ApiError refusal = ApiError{403, "invalid_request_error",
                                        "This cluster is revoked here, or its key is not the one enrolled.",
                                        std::nullopt, "cluster_refused"};
      co_await send_error(writer, refusal);
      co_return;
    }
  } else {
    Result<bool> redeemed = false;
    if (!token.empty()) redeemed = co_await store_.redeem_enrol_token(token, cluster_id);
    if (!redeemed || !*redeemed) {
      const ApiError refusal =
          ApiError{401, "invalid_request_error",
                   "This cluster is not enrolled here: its first node needs an enrolment "
                   "token from the relay's operator (quorum-relay token create).",
                   std::nullopt, "enrolment_token_required"};
      co_await send_error(writer, refusal);
      co_return;
    }
    Cluster c;
    c.id = cluster_id;
    c.name = cluster_name.empty() ? cluster_id : cluster_name;
    c.enrol_public_key = enrol_key;
    co_await store_.add_cluster(c);
  }
  Node n;
  n.id = node_id;
  n.cluster_id = cluster_id;
  n.name = node_name.empty() ? node_id : node_name;
  n.public_key = node_key;
  auto result = co_await store_.enrol_node(n);
  if (!result) {
    const ApiError& refusal = result.error();
    co_await send_error(writer, refusal);
    co_return;
  }
  if (*result != EnrolResult::enrolled) {
    const ApiError refusal =
        ApiError{403, "invalid_request_error",
                 *result == EnrolResult::node_revoked ? "This node was revoked at this relay."
                                                      : "This node id is enrolled in another cluster.",
                 std::nullopt, "node_refused"};
    co_await send_error(writer, refusal);
    co_return;
  }
  log::info("relay: node '" + log::printable(n.name) + "' enrolled in cluster " + cluster_id);
  const json::value answer =
      json::object{{"relay_id", relay_id_}, {"cluster_id", cluster_id}, {"node_id", node_id}};
  co_await send_json(writer, 200, answer);
}

net::Task<void> RelayApi::control(net::HttpRequest& request, net::ResponseWriter& writer) {
  if (mesh) {
    const bool routed = co_await mesh->route_control(request, writer);  // to the cluster's home relay
    if (routed) co_return;
  }
  auto auth = link::parse_control_authorization(request.headers.get("Authorization"));
  const auto now = unix_now();
  std::optional<Node> caller;
  if (auth && std::abs(auth->unix_seconds - now) <= link::kMaxClockSkewSeconds) {
    auto n = co_await store_.node(auth->node_id);
    if (n && *n && !(*n)->revoked_at &&
        cluster::verify_signature((*n)->public_key,
                                  link::control_message(request.method, request.target, auth->unix_seconds,
                                                        auth->nonce, request.body),
                                  auth->signature) &&
        control_nonces_.touch(auth->node_id + ":" + auth->nonce, RateClock::now())) {
      caller = **n;
    }
  }
  if (!caller) {
    const ApiError refusal = ApiError{401, "invalid_request_error",
                                      "The relay's control API needs a request signed by an enrolled node "
                                      "(quorum keys, quorum usage).",
                                      std::nullopt, "invalid_node_signature"};
    co_await send_error(writer, refusal);
    co_return;
  }
  const std::string cluster_id = caller->cluster_id;
  const std::string path(path_of(request.target));
  if (path == "/v1/relay/keys" && request.method == "GET") {
    auto keys = co_await store_.keys_of(cluster_id);
    if (!keys) {
      const ApiError& refusal = keys.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    json::array data;
    for (const auto& k : *keys) data.push_back(key_json(k));
    const json::value answer = json::object{{"object", "list"}, {"data", data}};
    co_await send_json(writer, 200, answer);
  } else if (path == "/v1/relay/keys" && request.method == "POST") {
    const auto body = body_object(request.body);
    if (!body) {
      const ApiError refusal = ApiError::invalid_request("The body must be a JSON object.");
      co_await send_error(writer, refusal);
      co_return;
    }
    const dashboard_wire::KeyRequest asked = dashboard_wire::key_request(*body);
    auto created =
        co_await store_.create_key(cluster_id, asked.name, asked.limits, asked.models, asked.expires_at);
    if (!created) {
      const ApiError& refusal = created.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    auto parsed = api_key::parse(*created);
    hub_.keys_changed(cluster_id);
    const std::string key_id = parsed ? parsed->id : "";
    const std::string actor = "node:" + caller->id;
    co_await dashboard_.key_changed_elsewhere(cluster_id, actor, "key.create", key_id);
    const json::value answer = json::object{{"key", *created}, {"id", key_id}};
    co_await send_json(writer, 200, answer);
  } else if (path.starts_with("/v1/relay/keys/") && request.method == "DELETE") {
    const std::string id = path.substr(std::string_view("/v1/relay/keys/").size());
    auto revoked = co_await store_.revoke_key(cluster_id, id);
    if (!revoked) {
      const ApiError& refusal = revoked.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    if (!*revoked) {
      const ApiError refusal = ApiError::not_found("No key '" + id + "' in this cluster.");
      co_await send_error(writer, refusal);
      co_return;
    }
    hub_.keys_changed(cluster_id);
    const std::string actor = "node:" + caller->id;
    co_await dashboard_.key_changed_elsewhere(cluster_id, actor, "key.revoke", id);
    const json::value answer = json::object{{"id", id}, {"revoked", true}};
    co_await send_json(writer, 200, answer);
  } else if (path == "/v1/relay/usage" && request.method == "GET") {
    const dashboard_wire::UsageDays days = dashboard_wire::usage_days(request.target, now);
    auto rows = co_await store_.usage(cluster_id, days.from, days.to);
    if (!rows) {
      const ApiError& refusal = rows.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    json::array data;
    for (const auto& r : *rows) data.push_back(usage_json(r));
    const json::value answer = json::object{{"object", "list"}, {"data", data}};
    co_await send_json(writer, 200, answer);
  } else if (path == "/v1/relay/nodes" && request.method == "GET") {
    auto nodes = co_await store_.nodes_of(cluster_id);
    if (!nodes) {
      const ApiError& refusal = nodes.error();
      co_await send_error(writer, refusal);
      co_return;
    }
    json::array data;
    for (const auto& n : *nodes) {
      auto live = hub_.node(n.id);
      json::array models;
      if (live) {
        for (const auto& m : live->status.models) models.emplace_back(m.id);
      }
      data.push_back(
          json::object{{"id", n.id},
                       {"name", live ? live->name : n.name},
                       {"online", live != nullptr},
                       {"revoked", n.revoked_at.has_value()},
                       {"last_seen_at", n.last_seen_at ? json::value(*n.last_seen_at) : json::value(nullptr)},
                       {"models", models}});
    }
    const json::value answer = json::object{{"object", "list"}, {"data", data}};
    co_await send_json(writer, 200, answer);
  } else {
    const ApiError refusal = ApiError::not_found("Unknown path " + path + ".", std::nullopt, "unknown_url");
    co_await send_error(writer, refusal);
  }
}

net::Task<void> RelayApi::metrics(net::ResponseWriter& writer) {
  std::string out;
  out += "# TYPE quorum_relay_connected_nodes gauge\nquorum_relay_connected_nodes " +
         std::to_string(hub_.connected()) + "\n";
  out += "# TYPE quorum_relay_open_streams gauge\nquorum_relay_open_streams " +
         std::to_string(hub_.open_streams()) + "\n";
  out += "# TYPE quorum_relay_queued_bytes gauge\nquorum_relay_queued_bytes " +
         std::to_string(hub_.queued_bytes()) + "\n";
  out += "# TYPE quorum_relay_requests_total counter\nquorum_relay_requests_total " +
         std::to_string(requests_total_) + "\n";
  out += "# TYPE quorum_relay_rate_limited_total counter\nquorum_relay_rate_limited_total " +
         std::to_string(refused_total_) + "\n";
  net::Headers h;
  h.add("Content-Type", "text/plain; version=0.0.4");
  co_await writer.send(200, h, std::move(out));
}

}  // namespace quorum::relay
