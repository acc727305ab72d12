#include "net/client_tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "net/tls_bridge.h"

namespace quorum::net {

using tcp = asio::ip::tcp;

namespace {

// A context that checks the server's chain against `ca_file`, or the system's trust store when it is empty
// (OpenSSL's default paths, which SSL_CERT_FILE and SSL_CERT_DIR override). Made for each connection: a
// renewed CA file is read at the next connection, and new connections are few (kept-alive ones are reused).
Result<SslCtxHandle> verifying_context(const std::string& ca_file) {
  ERR_clear_error();
  SslCtxHandle ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ApiError::server(500, "no TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  const int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx.get())
                                     : SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
  if (loaded != 1) {
    char reason[256] = "unknown error";
    if (const unsigned long code = ERR_peek_error()) ERR_error_string_n(code, reason, sizeof reason);
    ERR_clear_error();
    return ApiError::server(500, "Cannot read the trusted certificates in " +
                                     (ca_file.empty() ? std::string("the system's store") : ca_file) + ": " +
                                     reason + ".");
  }
  return ctx;
}

}  // namespace

Task<Result<tcp::socket>> tls_connect_verified(tcp::socket socket, std::string host, std::string ca_file,
                                               std::chrono::milliseconds timeout, std::string url) {
  auto ctx = verifying_context(ca_file);
  if (!ctx) co_return ctx.take_error();
  SslHandle session(SSL_new(ctx->get()));  // holds the context from here
  if (!session) co_return ApiError::server(502, "No TLS session with " + url + " (out of memory).");
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  bool named = false;
  if (!ec) {
    // An address: no server name is sent (RFC 6066 allows none for an address), and the certificate must
    // list it among its IP addresses.
    named = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(session.get()), host.c_str()) == 1;
  } else {
    SSL_set_hostflags(session.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    named = SSL_set_tlsext_host_name(session.get(), host.c_str()) == 1 &&
            SSL_set1_host(session.get(), host.c_str()) == 1;
  }
  if (!named)
    co_return ApiError::server(502,
                               "No TLS session with " + url + " (cannot check the name '" + host + "').");
  auto done = co_await bridge_tls(std::move(session), TlsRole::kClient, std::move(socket), timeout, nullptr);
  if (done) co_return done;
  if (done.error().status == 504)
    co_return ApiError::server(504, "Timed out in the TLS handshake with " + url + ".");
  co_return ApiError::server(502, "No TLS session with " + url + " (" + done.error().message + ").");
}

}  // namespace quorum::net
