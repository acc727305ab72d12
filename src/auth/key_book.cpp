#include "auth/key_book.h"

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/api_key.h"
#include "cluster/membership.h"

namespace quorum::auth {

namespace json = boost::json;

void KeyBook::replace(std::vector<KeyEntry> keys) {
  std::map<std::string, KeyEntry, std::less<>> next;
  for (auto& k : keys) next[k.id] = std::move(k);
  std::lock_guard lock(mutex_);
  keys_.swap(next);
}

size_t KeyBook::size() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

KeyCheck KeyBook::check(std::string_view text, int64_t unix_now) const {
  auto parsed = api_key::parse(text);
  if (!parsed) return {KeyVerdict::kMalformed, {}, {}};
  std::lock_guard lock(mutex_);
  auto it = keys_.find(parsed->id);
  // An unknown id still costs a comparison, so timing does not tell ids apart from secrets.
  const std::string_view stored =
      it == keys_.end() ? std::string_view() : std::string_view(it->second.secret_hash);
  const bool right = api_key::matches(parsed->secret, stored) && it != keys_.end();
  if (!right) return {KeyVerdict::kUnknown, {}, {}};
  const KeyEntry& k = it->second;
  if (k.revoked) return {KeyVerdict::kRevoked, k.id, {}};
  if (k.expires_at && *k.expires_at <= unix_now) return {KeyVerdict::kExpired, k.id, {}};
  return {KeyVerdict::kOk, k.id, k.models};
}

std::string KeyBook::to_json(const std::vector<KeyEntry>& keys) {
  json::array list;
  for (const auto& k : keys) {
    json::array models;
    for (const auto& m : k.models) models.emplace_back(m);
    json::object o{{"id", k.id}, {"hash", k.secret_hash}, {"models", models}, {"revoked", k.revoked}};
    o["expires_at"] = k.expires_at ? json::value(*k.expires_at) : json::value(nullptr);
    list.push_back(std::move(o));
  }
  return json::serialize(json::object{{"keys", list}});
}

Result<std::vector<KeyEntry>> KeyBook::parse(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  const json::array* list = nullptr;
  if (!ec && v.is_object()) {
    if (auto* k = v.as_object().if_contains("keys"); k && k->is_array()) list = &k->as_array();
  }
  if (!list || list->size() > kMaxKeys) return ApiError::invalid_request("not a key list");
  std::vector<KeyEntry> out;
  for (const auto& item : *list) {
    if (!item.is_object()) return ApiError::invalid_request("not a key list");
    const auto& o = item.as_object();
    KeyEntry k;
    auto* id = o.if_contains("id");
    auto* hash = o.if_contains("hash");
    if (!id || !id->is_string() || id->as_string().empty() || !hash || !hash->is_string() ||
        hash->as_string().size() != 64) {
      return ApiError::invalid_request("a key without id or hash");
    }
    k.id = std::string(id->as_string());
    k.secret_hash = std::string(hash->as_string());
    if (auto* m = o.if_contains("models"); m && m->is_array()) {
      for (const auto& x : m->as_array()) {
        if (x.is_string()) k.models.emplace_back(x.as_string());
      }
    }
    if (auto* e = o.if_contains("expires_at"); e && e->is_int64()) k.expires_at = e->as_int64();
    if (auto* r = o.if_contains("revoked"); r && r->is_bool()) k.revoked = r->as_bool();
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::vector<KeyEntry>> KeyBook::load(const std::string& state_dir) {
  const auto path = std::filesystem::path(state_dir) / "keys.json";
  std::ifstream in(path);
  if (!in) return std::vector<KeyEntry>{};
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str());
}

Status KeyBook::save(const std::string& state_dir, const std::vector<KeyEntry>& keys) {
  return cluster::write_file_atomically(std::filesystem::path(state_dir) / "keys.json", to_json(keys) + "\n",
                                        0600);
}

}  // namespace quorum::auth
