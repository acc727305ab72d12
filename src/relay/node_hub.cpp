#include "relay/node_hub.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "auth/key_book.h"
#include "cluster/crypto.h"
#include "cluster/signing_key.h"
#include "core/log.h"
#include "link/relay_auth.h"
#include "wire/json_fields.h"

namespace quorum::relay {

namespace asio = net::asio;
namespace json = boost::json;
using link::FrameType;

namespace {

std::string text_of(const json::object& o, std::string_view key) {
  return wire::string_field(o, key, 256);
}

uint64_t count_of(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_int64() || v->as_int64() < 0) return 0;
  return static_cast<uint64_t>(v->as_int64());
}

std::string deny(std::string_view code, std::string_view message) {
  return link::encode(FrameType::kDeny, 0,
                      json::serialize(json::object{{"code", code}, {"message", message}}));
}

// Copies one stream into the other until it ends; a failure resets both.
net::Task<void> copy(std::shared_ptr<link::LinkStream> from, std::shared_ptr<link::LinkStream> to) {
  for (;;) {
    auto data = co_await from->read();
    if (!data) {
      to->reset(data.error().code.value_or("reset"));
      co_return;
    }
    if (data->empty()) {
      co_await to->end();
      co_return;
    }
    if (!co_await to->write(*data)) {
      from->reset("cancelled");
      co_return;
    }
  }
}

}  // namespace

NodeHub::NodeHub(asio::any_io_executor executor, Store& store, std::string relay_id)
    : executor_(std::move(executor)), store_(store), relay_id_(std::move(relay_id)) {}

void NodeHub::accept(net::WebSocket ws, const net::RequestHead& head) {
  auto shared = std::make_shared<net::WebSocket>(std::move(ws));
  asio::co_spawn(executor_, handshake(std::move(shared)), asio::detached);
}

net::Task<void> NodeHub::handshake(std::shared_ptr<net::WebSocket> ws) {
  const std::string challenge = cluster::random_hex(32);
  const std::string address = ws->remote_address();
  asio::steady_timer deadline(executor_, kAuthTimeout);
  deadline.async_wait([weak = std::weak_ptr<net::WebSocket>(ws)](const boost::system::error_code& ec) {
    if (auto w = weak.lock(); w && !ec) w->abort();
  });
  const std::string hello = json::serialize(json::object{{"relay_id", relay_id_}, {"challenge", challenge}});
  if (!co_await ws->write(link::encode(FrameType::kHello, 0, hello))) co_return;
  auto message = co_await ws->read();
  deadline.cancel();
  if (!message) co_return;

  auto refuse = [&](std::string_view code, std::string_view why) -> net::Task<void> {
    log::info("relay: refused a node link from " + address + ": " + std::string(why));
    const std::string frame = deny(code, why);
    co_await ws->write(frame);
    const std::string reason(code);
    co_await ws->close(reason);
  };
  auto decoded = link::decode(*message);
  auto* frame = std::get_if<link::Frame>(&decoded);
  boost::system::error_code ec;
  json::value body;
  if (frame && frame->type == FrameType::kAuth) body = json::parse(frame->payload, ec);
  if (!frame || frame->type != FrameType::kAuth || ec || !body.is_object()) {
    co_await refuse("bad_auth", "the first frame must be AUTH");
    co_return;
  }
  const auto& auth = body.as_object();
  const std::string node_id = text_of(auth, "node_id");
  const std::string signature = cluster::base64url_decode(text_of(auth, "signature"));
  Result<std::optional<Node>> record = std::optional<Node>();
  if (!node_id.empty()) record = co_await store_.node(node_id);
  if (!record || !record.value()) {
    co_await refuse("not_enrolled", "this node is not enrolled here (quorum relay join)");
    co_return;
  }
  const Node& enrolled = **record;
  if (enrolled.revoked_at) {
    co_await refuse("revoked", "this node was revoked");
    co_return;
  }
  auto cluster = co_await store_.cluster(enrolled.cluster_id);
  if (!cluster || !cluster.value() || cluster.value()->revoked_at) {
    co_await refuse("revoked", "this node's cluster is not enrolled here");
    co_return;
  }
  if (!cluster::verify_signature(enrolled.public_key, link::link_auth_message(challenge, relay_id_, node_id),
                                 signature)) {
    co_await refuse("bad_signature", "the signature does not match this node's enrolled key");
    co_return;
  }
  // A node that reads BATCH frames says so; this relay does too, and then both send them.
  const auto* said = auth.if_contains("batches");
  const bool batches = said && said->is_bool() && said->get_bool();
  json::object welcome_body{{"relay_id", relay_id_}, {"node_id", node_id}};
  if (batches) welcome_body["batches"] = true;
  const std::string welcome = json::serialize(welcome_body);
  if (!co_await ws->write(link::encode(FrameType::kWelcome, 0, welcome))) co_return;

  auto node = std::make_shared<ConnectedNode>();
  node->id = node_id;
  node->cluster_id = enrolled.cluster_id;
  node->name = enrolled.name;
  node->address = address;
  node->session =
      std::make_shared<link::LinkSession>(executor_, std::move(*ws), link::LinkSession::Side::kRelay);
  if (batches) node->session->send_batches();
  admit(node);
}

void NodeHub::admit(const std::shared_ptr<ConnectedNode>& node) {
  if (auto old = nodes_.find(node->id); old != nodes_.end()) {
    auto previous = old->second;
    nodes_.erase(old);
    previous->session->send(FrameType::kGoaway,
                            json::serialize(json::object{{"reason", "replaced"}, {"reconnect_in_ms", 0}}));
    previous->session->close("replaced by a newer connection");
  }
  asio::co_spawn(executor_, open_session(node), asio::detached);
  node->connected_at = unix_now();
  nodes_[node->id] = node;
  log::info("relay: node '" + log::printable(node->name) + "' (" + node->id + ") connected from " +
            node->address);
  std::weak_ptr<ConnectedNode> weak = node;
  link::LinkSession::Handlers handlers;
  handlers.on_link_frame = [this, weak](const link::Frame& frame) {
    if (auto n = weak.lock()) on_link_frame(n, frame);
  };
  handlers.on_open = [this, weak](const std::shared_ptr<link::LinkStream>& stream) {
    if (auto n = weak.lock()) {
      on_open(n, stream);
    } else {
      stream->reset("link_gone");
    }
  };
  handlers.on_closed = [this, weak](const std::string& reason) {
    auto n = weak.lock();
    if (!n) return;
    if (n->session_recorded) {
      asio::co_spawn(executor_, close_session(n->session_row, reason), asio::detached);
    } else if (!n->closed_reason) {
      n->closed_reason = reason;
    }
    if (auto it = nodes_.find(n->id); it != nodes_.end() && it->second == n) {
      nodes_.erase(it);
      tell_members(n->cluster_id);
      if (on_node_changed) on_node_changed(*n, false);
    }
    log::info("relay: node '" + log::printable(n->name) + "' disconnected: " + log::printable(reason));
  };
  node->session->start(std::move(handlers));
  tell_members(node->cluster_id);
  send_keys(node);
  if (on_node_changed) on_node_changed(*node, true);
}

// The session's row (which also sets the node's last_seen_at); closed at once if the link closed meanwhile.
net::Task<void> NodeHub::open_session(std::shared_ptr<ConnectedNode> node) {
  auto row = co_await store_.session_opened(node->id);
  if (!row) {
    log::warn("relay: cannot record the session of node " + node->id + ": " + row.error().message);
    co_return;
  }
  node->session_row = *row;
  node->session_recorded = true;
  if (node->closed_reason) co_await close_session(*row, *node->closed_reason);
}

net::Task<void> NodeHub::close_session(int64_t row, std::string reason) {
  auto closed = co_await store_.session_closed(row, reason);
  if (!closed) log::warn("relay: cannot record the end of a session: " + closed.error().message);
}

void NodeHub::send_keys(const std::shared_ptr<ConnectedNode>& node) {
  asio::co_spawn(executor_, send_keys_now(node, ++node->keys_asked), asio::detached);
}

net::Task<void> NodeHub::send_keys_now(std::shared_ptr<ConnectedNode> node, uint64_t asked) {
  auto hashes = co_await store_.key_hashes_of(node->cluster_id);
  if (!hashes) {
    log::warn("relay: cannot read the keys of cluster " + node->cluster_id + ": " + hashes.error().message);
    co_return;
  }
  if (asked < node->keys_sent || !node->session->is_open()) co_return;
  node->keys_sent = asked;
  std::vector<auth::KeyEntry> entries;
  for (const auto& h : *hashes) {
    entries.push_back(auth::KeyEntry{h.id, h.secret_hash, h.models, h.expires_at, h.revoked});
  }
  auto notice = json::parse(auth::KeyBook::to_json(entries));
  notice.as_object()["type"] = "keys";
  node->session->send(FrameType::kNotice, json::serialize(notice));
}

void NodeHub::keys_changed(const std::string& cluster_id) {
  for (const auto& n : nodes_of(cluster_id)) send_keys(n);
}

void NodeHub::tell_members(const std::string& cluster_id) {
  auto members = nodes_of(cluster_id);
  json::array list;
  for (const auto& n : members) list.push_back(json::object{{"id", n->id}, {"name", n->name}});
  const std::string notice = json::serialize(json::object{{"type", "members"}, {"nodes", list}});
  for (const auto& n : members) n->session->send(FrameType::kNotice, notice);
}

void NodeHub::on_link_frame(const std::shared_ptr<ConnectedNode>& node, const link::Frame& frame) {
  switch (frame.type) {
    case FrameType::kStatus: {
      auto status = cluster::parse_node_status(frame.payload);
      if (!status || status->id != node->id) return;
      // The name it runs under now (`quorum node --name`), which may differ from the one it enrolled with:
      // the one errors and logs give.
      if (!status->name.empty()) node->name = status->name;
      const bool changed = !node->has_status || json::serialize(cluster::status_to_json(*status)) !=
                                                    json::serialize(cluster::status_to_json(node->status));
      node->status = std::move(*status);
      node->has_status = true;
      if (changed && on_node_changed) on_node_changed(*node, true);
      return;
    }
    case FrameType::kUsage: {
      boost::system::error_code ec;
      auto v = json::parse(frame.payload, ec);
      if (ec || !v.is_object()) return;
      const auto& o = v.as_object();
      UsageRecord r;
      r.day = utc_day(unix_now());
      r.cluster_id = node->cluster_id;
      r.key_id = text_of(o, "key_id");
      r.node_id = node->id;
      r.model = text_of(o, "model");
      r.requests = 1;
      r.failed = o.contains("failed") && o.at("failed").is_bool() && o.at("failed").as_bool() ? 1 : 0;
      r.prompt_tokens = count_of(o, "prompt_tokens");
      r.completion_tokens = count_of(o, "completion_tokens");
      if (r.model.empty()) return;
      if (usage_.add(r)) asio::co_spawn(executor_, flush_usage(), asio::detached);
      if (auto id = text_of(o, "request_id"); !id.empty() && on_usage) {
        on_usage(id, r.prompt_tokens + r.completion_tokens);
      }
      return;
    }
    default:
      return;  // a node sends nothing else on the link; newer frames are ignored
  }
}

void NodeHub::on_open(const std::shared_ptr<ConnectedNode>& from,
                      const std::shared_ptr<link::LinkStream>& stream) {
  boost::system::error_code ec;
  auto v = json::parse(stream->open_payload(), ec);
  if (ec || !v.is_object() || text_of(v.as_object(), "kind") != "peer") {
    stream->reset("refused", "a node may open peer streams only");
    return;
  }
  auto target = node(text_of(v.as_object(), "to"));
  if (!target || target->cluster_id != from->cluster_id || target == from) {
    stream->reset("node_gone", "that node is not connected to this relay");
    return;
  }
  auto other = target->session->open(json::serialize(json::object{{"kind", "peer"}, {"from", from->id}}));
  if (!other) {
    stream->reset("overloaded", "that node's link is full");
    return;
  }
  asio::co_spawn(executor_, copy(stream, other), asio::detached);
  asio::co_spawn(executor_, copy(other, stream), asio::detached);
}

std::vector<std::shared_ptr<ConnectedNode>> NodeHub::holders(const std::string& cluster_id,
                                                             const std::string& model) const {
  std::vector<std::shared_ptr<ConnectedNode>> out;
  for (const auto& [id, n] : nodes_) {
    if (n->cluster_id != cluster_id || !n->session->is_open()) continue;
    for (const auto& m : n->status.models) {
      if (m.id == model) {
        out.push_back(n);
        break;
      }
    }
  }
  return out;
}

std::vector<std::shared_ptr<ConnectedNode>> NodeHub::nodes_of(const std::string& cluster_id) const {
  std::vector<std::shared_ptr<ConnectedNode>> out;
  for (const auto& [id, n] : nodes_) {
    if (n->cluster_id == cluster_id) out.push_back(n);
  }
  return out;
}

std::shared_ptr<ConnectedNode> NodeHub::node(const std::string& id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : it->second;
}

net::Task<void> NodeHub::flush_usage() {
  if (usage_.empty()) co_return;
  const auto rows = usage_.take();
  auto written = co_await store_.record_usage(rows);
  if (!written) {
    log::warn("relay: usage not written yet (" + written.error().message + "); kept for the next try");
    for (const auto& r : rows) usage_.add(r);
  } else if (on_usage_written) {
    on_usage_written(rows);
  }
}

std::vector<std::shared_ptr<ConnectedNode>> NodeHub::all_nodes() const {
  std::vector<std::shared_ptr<ConnectedNode>> out;
  for (const auto& [id, n] : nodes_) out.push_back(n);
  return out;
}

void NodeHub::disconnect(const std::string& node_id, const std::string& reason) {
  if (auto n = node(node_id)) n->session->abort(reason);
}

void NodeHub::disconnect_cluster(const std::string& cluster_id, const std::string& reason) {
  for (auto& n : nodes_of(cluster_id)) n->session->abort(reason);
}

void NodeHub::go_away(const std::string& reason, std::chrono::milliseconds reconnect_in) {
  for (auto& [id, n] : nodes_) {
    n->session->send(FrameType::kGoaway, json::serialize(json::object{
                                             {"reason", reason}, {"reconnect_in_ms", reconnect_in.count()}}));
    n->session->close(reason);
  }
}

size_t NodeHub::open_streams() const {
  size_t total = 0;
  for (const auto& [id, n] : nodes_) total += n->session->stream_count();
  return total;
}

size_t NodeHub::queued_bytes() const {
  size_t total = 0;
  for (const auto& [id, n] : nodes_) total += n->session->queued_bytes();
  return total;
}

}  // namespace quorum::relay
