#include "net/server_certificate.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>

#include "net/tls_bridge.h"

namespace quorum::net {

using tcp = asio::ip::tcp;

namespace {

// OpenSSL's reason for the error just met (the first queued), and the queue emptied.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_error();
  std::string reason = "unknown error";
  if (code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    reason = text;
  }
  ERR_clear_error();
  return reason;
}

// A key protected by a passphrase is refused rather than prompted for on a terminal that a service does not
// have.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

std::string describe_certificate(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!cert || !bio) return "(no certificate)";
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  std::string text = "subject " + bio_text(bio.get());
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr), &BN_free);
  if (serial) {
    char* hex = BN_bn2hex(serial.get());
    if (hex) text += ", serial " + std::string(hex);
    OPENSSL_free(hex);
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> expiry(BIO_new(BIO_s_mem()), &BIO_free);
  if (expiry && ASN1_TIME_print(expiry.get(), X509_get0_notAfter(cert)) == 1) {
    text += ", expires " + bio_text(expiry.get());
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) text += " (EXPIRED)";
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &length) == 1) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string fingerprint;
    for (unsigned int i = 0; i < length; ++i) {
      if (i > 0) fingerprint += ':';
      fingerprint += kHex[digest[i] >> 4];
      fingerprint += kHex[digest[i] & 15];
    }
    text += ", SHA-256 " + fingerprint;
  }
  return text;
}

Result<ServerCertificate::Pair> read_pair(const std::string& cert_file, const std::string& key_file) {
  ERR_clear_error();
  SslCtxHandle ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return ApiError::server(500, "no TLS context: " + openssl_reason());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_default_passwd_cb(ctx.get(), &no_passphrase);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1)
    return ApiError::server(500, "cannot use the certificate " + cert_file + ": " + openssl_reason());
  const auto not_its_key = [&] {
    ERR_clear_error();
    return ApiError::server(500, "the key in " + key_file + " is not the certificate's in " + cert_file);
  };
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH) return not_its_key();
    return ApiError::server(500, "cannot use the private key " + key_file + ": " + openssl_reason());
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) return not_its_key();
  std::string description = describe_certificate(SSL_CTX_get0_certificate(ctx.get()));
  return ServerCertificate::Pair{std::shared_ptr<ssl_ctx_st>(ctx.release(), SslCtxFree{}),
                                 std::move(description)};
}

}  // namespace

ServerCertificate::ServerCertificate(std::string cert_file, std::string key_file, Pair pair)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)), current_(std::move(pair)) {}

Result<std::shared_ptr<ServerCertificate>> ServerCertificate::load(std::string cert_file,
                                                                   std::string key_file) {
  auto pair = read_pair(cert_file, key_file);
  if (!pair) return pair.take_error();
  return std::make_shared<ServerCertificate>(std::move(cert_file), std::move(key_file),
                                             std::move(pair.value()));
}

Status ServerCertificate::reload() {
  auto pair = read_pair(cert_file_, key_file_);
  if (!pair) return pair.take_error();
  std::lock_guard lock(mutex_);
  current_ = std::move(pair.value());
  return Ok{};
}

std::string ServerCertificate::describe() const {
  std::lock_guard lock(mutex_);
  return current_.description;
}

Task<std::optional<tcp::socket>> ServerCertificate::accept(tcp::socket socket,
                                                           std::chrono::milliseconds timeout) const {
  SslHandle session;
  {
    std::lock_guard lock(mutex_);
    session.reset(SSL_new(current_.context.get()));  // holds the context for as long as it lives
  }
  if (!session) co_return std::nullopt;
  auto done = co_await bridge_tls(std::move(session), TlsRole::kServer, std::move(socket), timeout, nullptr);
  if (!done) co_return std::nullopt;
  co_return std::move(done.value());
}

}  // namespace quorum::net
