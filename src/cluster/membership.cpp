#include "cluster/membership.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cluster/crypto.h"

namespace quorum::cluster {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::string_view kTokenPrefix = "qc1.";

bool is_hex(std::string_view s, size_t length) {
  if (s.size() != length) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string check_value(const std::string& cluster_id, const std::string& secret) {
  return sha256_hex(cluster_id + ":" + secret).substr(0, 8);
}

Result<json::object> read_json_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return ApiError::server(500, "cannot read " + path.string() + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  auto v = json::parse(ss.str(), ec);
  if (ec || !v.is_object())
    return ApiError::server(500, path.string() + " is not a JSON object; fix or remove it");
  return std::move(v.get_object());
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "quorum-node";
  return buf;
}

}  // namespace

std::string Membership::fingerprint() const {
  return sha256_hex("quorum cluster fingerprint\n" + cluster_id + ":" + secret).substr(0, 16);
}

Result<NodeIdentity> load_or_create_identity(const std::string& state_dir) {
  fs::path path = fs::path(state_dir) / "node.json";
  if (fs::exists(path)) {
    auto o = read_json_file(path);
    if (!o) return o.take_error();
    const auto* id = o->if_contains("id");
    const auto* name = o->if_contains("name");
    if (!id || !id->is_string() || !is_hex(id->get_string(), 32)) {
      return ApiError::server(500, path.string() + " has no valid node id; remove it to get a new one");
    }
    NodeIdentity identity{std::string(id->get_string()), ""};
    identity.name = name && name->is_string() ? std::string(name->get_string()) : host_name();
    return identity;
  }
  NodeIdentity identity{random_hex(16), host_name()};
  auto written = write_file_atomically(
      path, json::serialize(json::object{{"id", identity.id}, {"name", identity.name}}) + "\n", 0644);
  if (!written) return written.take_error();
  return identity;
}

Status rename_node(const std::string& state_dir, NodeIdentity& identity, const std::string& name) {
  const bool printable = std::all_of(
      name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
  if (name.empty() || name.size() > 63 || !printable) {
    return ApiError::invalid_request("a node name is 1 to 63 printable characters, got '" + name + "'");
  }
  if (identity.name == name) return Ok{};
  identity.name = name;
  fs::path path = fs::path(state_dir) / "node.json";
  return write_file_atomically(
      path, json::serialize(json::object{{"id", identity.id}, {"name", identity.name}}) + "\n", 0644);
}

Membership new_cluster() {
  return Membership{random_hex(8), random_hex(32)};
}

std::string encode_join_token(const Membership& m) {
  return std::string(kTokenPrefix) +
         base64url_encode(m.cluster_id + ":" + m.secret + ":" + check_value(m.cluster_id, m.secret));
}

Result<Membership> decode_join_token(std::string_view token) {
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.remove_suffix(1);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) token.remove_prefix(1);
  if (token.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return ApiError::invalid_request(
        "not a Quorum join token (it should start with 'qc1.'; copy the last line "
        "that `quorum cluster init` printed)");
  }
  std::string payload = base64url_decode(token.substr(kTokenPrefix.size()));
  auto first = payload.find(':');
  auto second = first == std::string::npos ? first : payload.find(':', first + 1);
  if (second == std::string::npos)
    return ApiError::invalid_request("the join token is damaged (cut or mistyped)");
  Membership m{payload.substr(0, first), payload.substr(first + 1, second - first - 1)};
  std::string check = payload.substr(second + 1);
  if (!is_hex(m.cluster_id, 16) || !is_hex(m.secret, 64) || check != check_value(m.cluster_id, m.secret)) {
    return ApiError::invalid_request("the join token is damaged (cut or mistyped)");
  }
  return m;
}

Result<std::optional<Membership>> load_membership(const std::string& state_dir) {
  fs::path path = fs::path(state_dir) / "cluster.json";
  if (!fs::exists(path)) return std::optional<Membership>{};
  auto o = read_json_file(path);
  if (!o) return o.take_error();
  const auto* id = o->if_contains("cluster_id");
  const auto* secret = o->if_contains("secret");
  if (!id || !secret || !id->is_string() || !secret->is_string() || !is_hex(id->get_string(), 16) ||
      !is_hex(secret->get_string(), 64)) {
    return ApiError::server(500, path.string() + " is damaged; run `quorum cluster join TOKEN` again");
  }
  return std::optional<Membership>(
      Membership{std::string(id->get_string()), std::string(secret->get_string())});
}

Status save_membership(const std::string& state_dir, const Membership& m) {
  return write_file_atomically(
      fs::path(state_dir) / "cluster.json",
      json::serialize(json::object{{"cluster_id", m.cluster_id}, {"secret", m.secret}}) + "\n", 0600);
}

Result<std::optional<RelayMembership>> load_relay_membership(const std::string& state_dir) {
  fs::path path = fs::path(state_dir) / "relay.json";
  if (!fs::exists(path)) return std::optional<RelayMembership>{};
  auto o = read_json_file(path);
  if (!o) return o.take_error();
  auto text = [&](std::string_view key) {
    const auto* v = o->if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  RelayMembership m{text("url"), text("node_key"), text("relay_id")};
  if (m.url.empty() || m.node_key_seed.empty()) {
    return ApiError::server(500, path.string() + " is damaged; run `quorum relay join URL` again");
  }
  return std::optional<RelayMembership>(std::move(m));
}

Status save_relay_membership(const std::string& state_dir, const RelayMembership& m) {
  return write_file_atomically(
      fs::path(state_dir) / "relay.json",
      json::serialize(json::object{{"url", m.url}, {"node_key", m.node_key_seed}, {"relay_id", m.relay_id}}) +
          "\n",
      0600);
}

Status forget_membership(const std::string& state_dir) {
  std::error_code ec;
  fs::remove(fs::path(state_dir) / "cluster.json", ec);
  if (ec)
    return ApiError::server(
        500, "cannot remove " + (fs::path(state_dir) / "cluster.json").string() + ": " + ec.message());
  return Ok{};
}

Status forget_relay_membership(const std::string& state_dir) {
  std::error_code ec;
  fs::remove(fs::path(state_dir) / "relay.json", ec);
  if (ec) return ApiError::server(500, "cannot remove relay.json: " + ec.message());
  return Ok{};
}

Status write_file_atomically(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return ApiError::server(500, "cannot create " + path.parent_path().string() + ": " + ec.message());
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ApiError::server(500, "cannot write " + tmp.string() + ": " + std::strerror(errno));
  ::fchmod(fd, mode);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return ApiError::server(500, "cannot write " + path.string() + ": " + why);
  }
  return Ok{};
}

}  // namespace quorum::cluster
