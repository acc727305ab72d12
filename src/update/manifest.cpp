#include "update/manifest.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <memory>

#include "update/semver.h"

namespace quorum::update {

namespace json = boost::json;

namespace {

bool hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool plain_name(std::string_view s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos &&
         s.find('\0') == std::string_view::npos;
}

const json::string* string_field(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v ? v->if_string() : nullptr;
}

}  // namespace

std::optional<Manifest> parse_manifest(std::string_view text, std::string& error) {
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec || !root.is_object()) {
    error = "the manifest is not a JSON object";
    return std::nullopt;
  }
  const auto& o = root.as_object();
  Manifest m;
  auto* version = string_field(o, "version");
  if (!version || !parse_semver(*version)) {
    error = "the manifest's version is not a semantic version";
    return std::nullopt;
  }
  m.version = std::string(*version);
  if (auto* created = string_field(o, "created")) m.created = std::string(*created);
  auto* files = o.if_contains("files");
  if (!files || !files->is_array()) {
    error = "the manifest has no files array";
    return std::nullopt;
  }
  for (const auto& f : files->as_array()) {
    auto* fo = f.if_object();
    auto* name = fo ? string_field(*fo, "name") : nullptr;
    auto* sha = fo ? string_field(*fo, "sha256") : nullptr;
    auto* size = fo ? fo->if_contains("size") : nullptr;
    const bool size_ok = size && ((size->is_uint64()) || (size->is_int64() && size->as_int64() >= 0));
    if (!name || !plain_name(*name) || !sha || !hex64(*sha) || !size_ok) {
      error = "a file of the manifest lacks a plain name, a size or a sha256";
      return std::nullopt;
    }
    const std::uint64_t bytes =
        size->is_uint64() ? size->as_uint64() : static_cast<std::uint64_t>(size->as_int64());
    m.files.push_back({std::string(*name), bytes, std::string(*sha)});
  }
  return m;
}

const ManifestFile* find_file(const Manifest& manifest, std::string_view name) {
  for (const auto& f : manifest.files) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool signature_valid(std::string_view message, std::string_view signature, std::string_view public_key_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size())), BIO_free);
  if (!bio) return false;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

void Sha256::add(std::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

std::string Sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), digest, &n);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

}  // namespace quorum::update
