// `quorum-relay serve`: the relay's one process. One thread, one io_context: the HTTP server (public API,
// control API, the node link's WebSocket endpoint), the hub of connected nodes, the store.
//
// TLS (optional, `--tls-cert` and `--tls-key`): every connection is then HTTPS or WSS, none plain. SIGHUP
// reads the certificate and key again: new connections get the new pair, connections under way (nodes'
// links) keep theirs; a pair that does not load is logged and the one in use stays. Without TLS, SIGHUP
// only logs that there is nothing to reload (so that `systemctl reload` never kills the relay).
//
// Shutdown (SIGTERM, SIGINT): stop accepting, let requests in flight finish up to `drain_timeout`, tell every
// node GOAWAY "restarting" (reconnect in about a second, to this relay's successor), then exit. Streams still
// running at `drain_timeout` end with an in-band error and [DONE] as the links close (a few seconds more at
// most), never with a cut connection.
// Several relays on one database (mesh.h): the relay registers at start (at `advertise`), refreshes its row
// every 2 s, and leaves the registry when it starts stopping, so that the others take its clusters at once.
// Revocations made with the CLI while it runs (same data directory) reach it within a second: a revoked
// node's link is dropped; keys are checked against the store on every request.
#pragma once

#include <chrono>
#include <string>

namespace quorum::relay {

struct RelayConfig {
  std::string listen = "127.0.0.1:8443";
  std::string data_dir;
  // "" for SQLite in data_dir; or a postgres:// URL (never logged with its password).
  std::string database;
  std::chrono::seconds drain_timeout{30};
  size_t max_body_bytes = size_t{8} << 20;
  // Both or neither: PEM files of the certificate chain and its private key.
  std::string tls_cert;
  std::string tls_key;
  // The URL other relays sharing the database and nodes told to move reach this relay at; "" for
  // http(s)://<listen> (docs/relay.md, "Several relays").
  std::string advertise;
};

// Runs until a signal ends it; the exit status.
int run_relay(const RelayConfig& config);

// The relay's id: random, made once, kept in <data_dir>/relay-id.
std::string relay_id(const std::string& data_dir);

}  // namespace quorum::relay
