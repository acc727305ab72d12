// Throwaway certificates for the TLS tests, made with OpenSSL in the test process: a CA, and server
// certificates it signs for the names and addresses given, written as PEM files into a temporary directory
// that goes with the object.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace quorum::net::testing {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

inline KeyPtr new_key() {
  KeyPtr key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  if (!key) throw std::runtime_error("no key");
  return key;
}

inline void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named `cn`, signed by `issuer_key` (itself when `issuer` is null), valid from an
// hour ago for a day. `sans`: "DNS:localhost,IP:127.0.0.1" style; empty for a CA.
inline CertPtr new_certificate(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                               long serial, const std::string& sans) {
  CertPtr cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                             -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (sans.empty()) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_subject_alt_name, sans);
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
  }
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) throw std::runtime_error("cannot sign");
  return cert;
}

inline void write_pem(const std::filesystem::path& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + path.string());
  if (cert) PEM_write_X509(f, cert);
  if (key) PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

// A CA of its own in a temporary directory; issue() writes a server certificate and its key there.
class TestPki {
 public:
  explicit TestPki(const std::string& name = "Quorum Test CA")
      : ca_key_(new_key()), ca_(new_certificate(name, ca_key_.get(), nullptr, ca_key_.get(), 1, "")) {
    std::string pattern = (std::filesystem::temp_directory_path() / "quorum-pki-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("no temporary directory");
    dir_ = pattern;
    write_pem(ca_file(), ca_.get(), nullptr);
  }
  ~TestPki() { std::filesystem::remove_all(dir_); }
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  std::string ca_file() const { return (dir_ / "ca.pem").string(); }
  const std::filesystem::path& dir() const { return dir_; }

  struct Issued {
    std::string cert_file;
    std::string key_file;
  };
  // A server certificate for `sans`, signed by this CA, as <name>.pem and <name>.key.
  Issued issue(const std::string& name, long serial, const std::string& sans = "IP:127.0.0.1") const {
    auto key = new_key();
    auto cert = new_certificate(name, key.get(), ca_.get(), ca_key_.get(), serial, sans);
    Issued out{(dir_ / (name + ".pem")).string(), (dir_ / (name + ".key")).string()};
    write_pem(out.cert_file, cert.get(), nullptr);
    write_pem(out.key_file, nullptr, key.get());
    return out;
  }

 private:
  KeyPtr ca_key_;
  CertPtr ca_;
  std::filesystem::path dir_;
};

}  // namespace quorum::net::testing
